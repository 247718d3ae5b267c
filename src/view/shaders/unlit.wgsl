// Unlit: tint × texture × vertex colour, no lighting (photogrammetry as captured, markers).
// A fraction of the cost of the full PBR shader, which matters on software renderers.
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> tint: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var base_texture: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var base_sampler: sampler;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    var colour = tint;
#ifdef VERTEX_UVS_A
    colour = colour * textureSample(base_texture, base_sampler, in.uv);
#endif
#ifdef VERTEX_COLORS
    colour = colour * in.color;
#endif
    return colour;
}
