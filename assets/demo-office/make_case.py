# Generates the indoor demo's case.json (beside this file): a fictional exercise in a real
# scanned office. Run: python3 assets/demo-office/make_case.py
import json, math, os, random
random.seed(7)
O = [-0.1, 4.4, 1.1]           # the (fictional) origin of the spatter
S = [0.3, 1.2, 1.45]           # the (fictional) firing position
def sub(a, b): return [a[i] - b[i] for i in range(3)]
def norm(v):
    l = math.sqrt(sum(x * x for x in v)); return [x / l for x in v]
def dot(a, b): return sum(a[i] * b[i] for i in range(3))
def cross(a, b): return [a[1]*b[2]-a[2]*b[1], a[2]*b[0]-a[0]*b[2], a[0]*b[1]-a[1]*b[0]]
def stain(P, n, rnd):
    v = sub(P, O); L = math.sqrt(dot(v, v)); v = [x / L for x in v]
    sin_a = -dot(v, n)
    t = norm([v[i] + n[i] * sin_a for i in range(3)])
    ref = [0, 0, 1] if abs(n[2]) < 0.866 else [0, 1, 0]
    r = norm([ref[i] - dot(ref, n) * n[i] for i in range(3)])
    right = cross([-x for x in n], r)
    d = math.degrees(math.atan2(dot(t, right), dot(t, r))) % 360
    length = round(random.uniform(4.0, 9.0), 1)
    # An examiner's measurement: widths to 0.1 mm, directions to the degree, with error.
    width = round(length * sin_a * random.uniform(0.97, 1.03), 1)
    width = min(width, length)
    return {"width_mm": width, "length_mm": length, "direction_deg": round(d + rnd.uniform(-2, 2))}
rnd = random.Random(11)
floor = [(-0.6, 3.55), (0.3, 3.5), (0.35, 4.0), (-0.6, 3.95), (-0.1, 3.35), (0.1, 3.3)]
evidence = []
def enu(e, n, u=None):
    d = {"frame": "enu", "east_m": e, "north_m": n}
    if u is not None: d["up_m"] = u
    return d
stains = []
for k, (e, n) in enumerate(floor, 1):
    st = stain([e, n, 0.0], [0, 0, 1], rnd)
    stains.append(f"B{k}")
    evidence.append({"id": f"B{k}", "title": f"Bloodstain B{k} (floor)", "category": "bloodstain",
        "description": "Elliptical stain on the floor; ellipse fitted on the scale photograph.",
        "position": {"location": enu(e, n), "horizontal_uncertainty_m": 0.01},
        "level": "Office", "stain": st})
for k, P in enumerate([[0.0985, 5.1236, 1.4981], [-0.1, 5.1292, 0.9502]], len(floor) + 1):
    st = stain(P, [0, -1, 0], rnd)
    st["surface_normal"] = [0.0, -1.0, 0.0]
    stains.append(f"B{k}")
    evidence.append({"id": f"B{k}", "title": f"Bloodstain B{k} (door)", "category": "bloodstain",
        "description": "Elliptical stain on the door leaf, measured in place.",
        "position": {"location": enu(*[round(x, 4) for x in P]), "horizontal_uncertainty_m": 0.01},
        "level": "Office", "stain": st})
# Trajectory 1 through a defect in the chair backrest and a bullet defect low in the wall left of
# the door; trajectory 2 from a defect in the cabinet door along the examiner's rod.
B = [-0.54, 5.13, 0.6]
d = norm(sub(B, S))
s_a = (3.35 - S[1]) / d[1]
A = [round(S[i] + d[i] * s_a, 3) for i in range(3)]
I2 = [1.16, 3.13, 1.15]
d2 = norm(sub(I2, S))
az2 = round(math.degrees(math.atan2(d2[0], d2[1])) % 360 + 1.0, 1)
el2 = round(math.degrees(math.asin(d2[2])) - 0.5, 1)
evidence += [
    {"id": "D1", "title": "Bullet defect in the chair backrest (entry)", "category": "damage",
     "description": "Measured from the floor and the door wall with a tape; the chair stood here when the room was documented.",
     "position": {"location": enu(*A), "horizontal_uncertainty_m": 0.02, "vertical_uncertainty_m": 0.02}, "level": "Office"},
    {"id": "I1", "title": "Bullet defect, wall left of the door", "category": "impact",
     "position": {"location": enu(*B), "horizontal_uncertainty_m": 0.01, "vertical_uncertainty_m": 0.01}, "level": "Office"},
    {"id": "I2", "title": "Bullet defect, cabinet door", "category": "impact",
     "description": "Trajectory rod inserted; angles read with a protractor and a digital level.",
     "position": {"location": enu(*I2), "horizontal_uncertainty_m": 0.01, "vertical_uncertainty_m": 0.01}, "level": "Office"},
    {"id": "C1", "title": "Cartridge case", "category": "casing",
     "position": {"location": enu(0.55, 1.65, 0.0), "horizontal_uncertainty_m": 0.05}, "level": "Office"},
    {"id": "C2", "title": "Cartridge case", "category": "casing",
     "position": {"location": enu(0.8, 2.05, 0.0), "horizontal_uncertainty_m": 0.05}, "level": "Office"},
]
case = {
  "format_version": 1,
  "title": "Exercise: shooting in an office (indoor demo)",
  "description": "A training case on a real scanned interior: a Kinect capture of a furnished office from the Point Cloud Library's test data. The events, people and evidence are fictional; the room is real.",
  "notice": "Exercise: fictional events in a real scanned room",
  "display_time_zone": "Europe/Amsterdam",
  "models": [{
    "id": "office", "title": "Office (Kinect RGB-D capture, one view)",
    "path": "models/office1_gridmesh.ply",
    "sha256": "70205c3fee608bb62809f5fe5c85a9bb03461b2883207fa147541b186ff885fb",
    "format": "ply",
    "placement": {"method": "matrix", "rows": [[0.996692, -0.081273, 0.0, 0.0], [0.000827, 0.010143, 0.999948, 0.0], [-0.081269, -0.99664, 0.010177, 1.3366], [0, 0, 0, 1]]},
    "capture": {"tool": "Microsoft Kinect (PCL test data office1.pcd); grid mesh by pcd_to_ply.py", "operator": "Willow Garage / Open Perception (PCL)"},
    "shading": "unlit"
  }],
  "levels": [{"name": "Office", "floor_m": 0.0, "ceiling_m": 3.9}],
  "evidence": evidence,
  "trajectories": [
    {"id": "T1", "title": "Through the chair backrest into the wall", "through": [enu(*A), enu(*B)],
     "angular_uncertainty_deg": 2.0, "level": "Office"},
    {"id": "T2", "title": "Into the cabinet door (rod)", "from": enu(*I2), "azimuth_deg": az2, "elevation_deg": el2,
     "angular_uncertainty_deg": 3.0, "level": "Office"},
  ],
  "stain_groups": [{"id": "BSG1", "title": "Impact spatter in front of the door", "items": stains,
     "description": "Six stains on the floor and two on the door leaf."}],
  "bookmarks": [
    {"name": "As scanned", "eye": {"east_m": 0.0, "north_m": 0.0, "up_m": 1.34}, "target": {"east_m": 0.0, "north_m": 3.5, "up_m": 0.9}, "fov_deg": 50.0,
     "description": "The room from where the Kinect stood."},
    {"name": "Dollhouse", "eye": {"east_m": 2.6, "north_m": -0.6, "up_m": 4.6}, "target": {"east_m": -0.4, "north_m": 3.6, "up_m": 0.4}, "fov_deg": 45.0,
     "description": "From above the entrance, everything over 1.9 m cut away.", "section": {"cut_above_m": 1.9}},
    {"name": "Stains", "eye": {"east_m": 0.9, "north_m": 1.9, "up_m": 2.3}, "target": {"east_m": -0.1, "north_m": 4.2, "up_m": 0.5}, "fov_deg": 45.0,
     "description": "The spatter in front of the door.", "section": {"cut_above_m": 2.3}},
    {"name": "Side section", "eye": {"east_m": 4.5, "north_m": 2.9, "up_m": 1.6}, "target": {"east_m": -0.3, "north_m": 2.9, "up_m": 0.9}, "fov_deg": 50.0,
     "description": "From the east, the cabinets cut away by a vertical section.",
     "section": {"vertical_plane": {"east_m": 0.95, "north_m": 0.0, "azimuth_deg": 90.0}, "cut_above_m": 2.6}}
  ],
  "storyline": {"banner": "Indoor demo: a reconstruction for training", "steps": [
    {"id": "S1", "caption": "The office as scanned: one Kinect view from the entrance. Dark gaps are what the scanner could not see.", "view": {"bookmark": {"name": "As scanned"}}, "seconds": 6.0, "transition_seconds": 0.0},
    {"id": "S2", "caption": "Everything above 1.9 m cut away: the floor, the furniture and where the evidence lies.", "view": {"bookmark": {"name": "Dollhouse"}}, "seconds": 6.0},
    {"id": "S3", "caption": "Eight bloodstains traced back to an area of origin about 1.2 m above the floor in front of the door (straight-line model: an upper bound).", "view": {"bookmark": {"name": "Stains"}}, "seconds": 8.0, "highlighted": ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"]},
    {"id": "S4", "caption": "Two bullet trajectories, each with its uncertainty cone; both lead back to shooter height near the entrance, where two cartridge cases were found.", "view": {"bookmark": {"name": "Side section"}}, "seconds": 8.0, "highlighted": ["I1", "I2", "D1", "C1", "C2"]}
  ]}
}
json.dump(case, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'case.json'), 'w'), indent=2)
