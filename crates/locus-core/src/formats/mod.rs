//! Model files in and out: glTF/GLB (with the compression extensions the `gltf` crate lacks),
//! OBJ + MTL, PLY and LAS/LAZ read into the one renderer-independent `model::ModelData`;
//! a small GLB writer for derived meshes. Readers share only `model` and `texture`; no reader
//! reaches into another format's file. May depend on `geo` (axis conventions, a LAS file's
//! CRS) and `progress`.

pub mod companions;
pub mod glb;
mod gltf;
pub mod gltf_ext;
pub mod las;
pub mod model;
pub mod obj;
pub mod ply;
mod texture;
