// Unlit: tint × texture × vertex colour, no lighting (photogrammetry as captured, markers).
// A fraction of the cost of the full PBR shader, which matters on software renderers.
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> tint: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var base_texture: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var base_sampler: sampler;
// The section's kept region (world = render coordinates): what lies outside is cut away.
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var<uniform> clip_min: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(4) var<uniform> clip_max: vec4<f32>;
// A section plane: what lies where dot(p, xyz) > w is cut away.
@group(#{MATERIAL_BIND_GROUP}) @binding(5) var<uniform> clip_plane: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let p = in.world_position.xyz;
    if any(p < clip_min.xyz) || any(p > clip_max.xyz) || dot(p, clip_plane.xyz) > clip_plane.w {
        discard;
    }
    var colour = tint;
#ifdef VERTEX_UVS_A
    colour = colour * textureSample(base_texture, base_sampler, in.uv);
#endif
#ifdef VERTEX_COLORS
    colour = colour * in.color;
#endif
    return colour;
}
