// Point clouds: every point is a small screen-facing square (four vertices sharing the
// point's position, told apart by a corner in -1..1), sized in pixels, drawn round.
#import bevy_pbr::{
    mesh_functions,
    mesh_view_bindings::view,
    view_transformations::position_world_to_clip,
}

// x: point size in pixels.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;
// The section's kept region (world = render coordinates): points outside are cut away.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> clip_min: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<uniform> clip_max: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var<uniform> clip_plane: vec4<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) color: vec4<f32>,
};

struct PointOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) world: vec3<f32>,
};

@vertex
fn vertex(v: Vertex) -> PointOut {
    let world_from_local = mesh_functions::get_world_from_local(v.instance_index);
    let world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(v.position, 1.0));
    var clip = position_world_to_clip(world.xyz);
    // Half the size either side of the centre: in NDC, one pixel is 2 / viewport.
    let offset = v.corner * params.x / view.viewport.zw;
    clip = vec4<f32>(clip.xy + offset * clip.w, clip.z, clip.w);
    var out: PointOut;
    out.clip = clip;
    out.color = v.color;
    out.corner = v.corner;
    out.world = world.xyz;
    return out;
}

@fragment
fn fragment(in: PointOut) -> @location(0) vec4<f32> {
    if dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    if any(in.world < clip_min.xyz) || any(in.world > clip_max.xyz)
        || dot(in.world, clip_plane.xyz) > clip_plane.w {
        discard;
    }
    return in.color;
}
