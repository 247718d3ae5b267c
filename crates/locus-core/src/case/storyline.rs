//! The storyline a prosecutor walks a courtroom through: an ordered list of steps, each a
//! camera view, a moment or a stretch of time to play, what is shown or highlighted, and a
//! caption. Stored in the case (and so sealed into packages), changed only through `Edit`s.
//!
//! Playback is a pure function of the storyline and a frame number (`StoryPlan`), never of
//! the wall clock, so exported frames are identical on every run and every machine.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Bookmark, Case, Category};
use crate::geo::geodesy::Enu;

/// What the banner says when a case does not set its own wording.
pub const DEFAULT_BANNER: &str = "Reconstruction — illustrative";
/// Seconds a step is shown when it does not say.
pub const DEFAULT_STEP_SECONDS: f64 = 6.0;
/// Seconds the camera takes to move to a step when it does not say.
pub const DEFAULT_TRANSITION_SECONDS: f64 = 2.0;

/// The case's presentation: its banner and its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storyline {
    /// Shown at all times in presentation mode and on exported frames and report images.
    #[serde(default = "default_banner")]
    pub banner: String,
    #[serde(default)]
    pub steps: Vec<Step>,
}

impl Default for Storyline {
    fn default() -> Self {
        Self {
            banner: default_banner(),
            steps: Vec::new(),
        }
    }
}

impl Storyline {
    pub fn is_default(&self) -> bool {
        *self == Storyline::default()
    }
}

fn default_banner() -> String {
    DEFAULT_BANNER.to_string()
}

/// A camera pose in case ENU metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraPose {
    pub eye: Enu,
    pub target: Enu,
    /// Vertical field of view, degrees.
    pub fov_deg: f64,
    /// Degrees the camera is turned about its line of sight, positive clockwise as seen from
    /// behind it (absent: level; a photo's camera may be rolled).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub roll_deg: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl From<&Bookmark> for CameraPose {
    fn from(b: &Bookmark) -> Self {
        Self {
            eye: b.eye,
            target: b.target,
            fov_deg: b.fov_deg,
            roll_deg: 0.0,
        }
    }
}

/// The opacity a photo is laid over the model with in a step through its camera, unless set.
pub const DEFAULT_THROUGH_OPACITY: f64 = 0.5;

fn default_through_opacity() -> f64 {
    DEFAULT_THROUGH_OPACITY
}

/// Where a step looks from: its own pose, or a bookmark's (followed when the bookmark is
/// moved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepView {
    Camera(CameraPose),
    Bookmark {
        name: String,
    },
    /// Through a photo or video item's camera (as matched, or typed with a known height),
    /// its photo laid over the model at `opacity` (0: model only, 1: photo only); follows the
    /// camera when it is matched again.
    Through {
        item: String,
        #[serde(default = "default_through_opacity")]
        opacity: f64,
    },
}

/// The clock during a step: one moment, or a stretch played from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTime {
    pub from: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

impl StepTime {
    /// The case time `fraction` (0–1) of the way through, exact to the microsecond.
    pub fn at(&self, fraction: f64) -> DateTime<Utc> {
        let Some(to) = self.to else { return self.from };
        let span = (to - self.from).num_microseconds().unwrap_or(0);
        let f = fraction.clamp(0.0, 1.0);
        self.from + Duration::microseconds((span as f64 * f).round() as i64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    #[serde(default)]
    pub caption: String,
    pub view: StepView,
    /// None: the clock is left where it is (all items as the last step showed them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<StepTime>,
    /// Show every item whatever its time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub show_all_times: bool,
    /// Seconds the step lasts when played (the time range plays over this).
    #[serde(default = "default_step_seconds")]
    pub seconds: f64,
    /// Seconds the camera takes to move here from the previous step.
    #[serde(default = "default_transition_seconds")]
    pub transition_seconds: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_categories: Vec<Category>,
    /// Item and track ids not shown in this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_items: Vec<String>,
    /// Item and track ids drawn highlighted in this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlighted: Vec<String>,
    /// Model ids not drawn in this step (layers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_models: Vec<String>,
    /// The section the step is seen with; absent: its bookmark's, else none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<crate::case::section::Section>,
    /// Only the items this filter keeps are drawn in the step (a copy of a saved filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<crate::case::facets::SavedFilter>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn default_step_seconds() -> f64 {
    DEFAULT_STEP_SECONDS
}

fn default_transition_seconds() -> f64 {
    DEFAULT_TRANSITION_SECONDS
}

impl Step {
    pub fn new(id: String, view: StepView) -> Self {
        Self {
            id,
            caption: String::new(),
            view,
            time: None,
            show_all_times: false,
            seconds: DEFAULT_STEP_SECONDS,
            transition_seconds: DEFAULT_TRANSITION_SECONDS,
            hidden_categories: Vec::new(),
            hidden_items: Vec::new(),
            highlighted: Vec::new(),
            hidden_models: Vec::new(),
            section: None,
            filter: None,
        }
    }

    /// The section this step shows: its own, else its bookmark's, else none (the whole
    /// model), so that a presentation shows the same whatever the viewer had cut before.
    pub fn section(&self, case: &Case) -> crate::case::section::Section {
        self.section
            .or_else(|| match &self.view {
                StepView::Bookmark { name } => case.bookmark(name).and_then(|b| b.section),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The step's camera; a bookmark that no longer exists is an error naming it.
    pub fn pose(&self, case: &Case) -> Result<CameraPose, String> {
        match &self.view {
            StepView::Camera(p) => Ok(*p),
            StepView::Bookmark { name } => {
                case.bookmark(name).map(CameraPose::from).ok_or_else(|| {
                    format!(
                        "step {}: there is no bookmark {name:?} in the case",
                        self.id
                    )
                })
            }
            StepView::Through { item, .. } => {
                through_pose(case, item).map_err(|e| format!("step {}: {e}", self.id))
            }
        }
    }

    /// The item whose camera this step looks through, and the photo's opacity.
    pub fn through(&self) -> Option<(&str, f64)> {
        match &self.view {
            StepView::Through { item, opacity } => Some((item.as_str(), *opacity)),
            _ => None,
        }
    }

    /// Problems that make the step unplayable, each naming the field.
    pub fn validate(&self, case: &Case) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = self.pose(case) {
            problems.push(e);
        }
        // A step plays for at most an hour, a camera move for at most ten minutes: a
        // presentation, not a recording (and a bound on the frames an export writes).
        let within = |v: f64, max: f64| v.is_finite() && (0.0..=max).contains(&v);
        if let Some((_, opacity)) = self.through()
            && !within(opacity, 1.0)
        {
            problems.push(format!(
                "step {}: the photo's opacity must be from 0 to 1, not {opacity}",
                self.id
            ));
        }
        if let Some(Err(e)) = self.section.map(|s| s.validate()) {
            problems.push(format!("step {}: {e}", self.id));
        }
        if let Some(Err(e)) = self.filter.as_ref().map(|f| f.validate()) {
            problems.push(format!("step {}: {e}", self.id));
        }
        if !within(self.seconds, MAX_STEP_SECONDS) {
            problems.push(format!(
                "step {}: seconds must be from 0 to {MAX_STEP_SECONDS}, not {}",
                self.id, self.seconds
            ));
        }
        if !within(self.transition_seconds, MAX_TRANSITION_SECONDS) {
            problems.push(format!(
                "step {}: transition_seconds must be from 0 to {MAX_TRANSITION_SECONDS}, not {}",
                self.id, self.transition_seconds
            ));
        }
        if let Some(StepTime { from, to: Some(to) }) = self.time
            && to < from
        {
            problems.push(format!("step {}: time ends before it starts", self.id));
        }
        if let StepView::Camera(p) = &self.view
            && !(p.fov_deg > 1.0 && p.fov_deg < 170.0)
        {
            problems.push(format!(
                "step {}: field of view {}° is not between 1° and 170°",
                self.id, p.fov_deg
            ));
        }
        for id in self.hidden_items.iter().chain(&self.highlighted) {
            let known = case.evidence.iter().any(|i| &i.id == id)
                || case.tracks.iter().any(|t| &t.id == id);
            if !known {
                problems.push(format!("step {}: no item or track {id:?}", self.id));
            }
        }
        for id in &self.hidden_models {
            if !case.models.iter().any(|m| &m.id == id) {
                problems.push(format!("step {}: no model {id:?}", self.id));
            }
        }
        problems
    }

    /// Whether the item or track `id` of `category` is drawn in this step.
    /// (A track is left out by its filter's categories; its facets are for items.)
    pub fn shows(&self, id: &str, category: Category) -> bool {
        !self.hidden_categories.contains(&category)
            && !self.hidden_items.iter().any(|h| h == id)
            && self
                .filter
                .as_ref()
                .is_none_or(|f| !f.hidden_categories.contains(&category))
    }

    /// Whether an item placed at `at` is drawn in this step: `shows`, and its filter keeps it.
    pub fn shows_item(&self, item: &crate::case::EvidenceItem, at: Option<Enu>) -> bool {
        self.shows(&item.id, item.category)
            && self.filter.as_ref().is_none_or(|f| f.matches_at(item, at))
    }

    pub fn highlights(&self, id: &str) -> bool {
        self.highlighted.iter().any(|h| h == id)
    }
}

/// The pose of an item's camera: the solved one when it was matched, else its typed heading,
/// pitch and roll from its position, which then needs a height (a camera's eye is not on the
/// ground). The vertical field of view is for the matched photo's aspect (typed: 4:3).
pub fn through_pose(case: &Case, item: &str) -> Result<CameraPose, String> {
    let it = case
        .item(item)
        .ok_or_else(|| format!("there is no item {item:?} in the case"))?;
    let cam = it.camera.as_ref().ok_or_else(|| {
        format!(
            "item {item} has no camera (match its photo, or type its heading and field of view)"
        )
    })?;
    let (eye, aspect) = match &cam.matched {
        Some(m) => (m.eye, m.height_px as f64 / m.width_px.max(1) as f64),
        None => {
            if !it.position.location.is_known() || !it.position.location.has_height() {
                return Err(format!(
                    "item {item}'s camera has no known height: match its photo, or give its position a height"
                ));
            }
            let (e, n, u) = it.position.location.to_enu(&case.frame());
            (Enu::new(e, n, u.unwrap_or(0.0)), 0.75)
        }
    };
    Ok(camera_pose(eye, cam, aspect))
}

/// A photo's camera at `eye` as a pose: looking along its heading and pitch, rolled, with the
/// vertical field of view of a picture `aspect` (height / width) high.
pub fn camera_pose(eye: Enu, cam: &crate::case::MediaCamera, aspect: f64) -> CameraPose {
    let c = crate::analysis::camera_match::Camera::from_angles(
        eye.to_vector(),
        cam.heading_deg,
        cam.pitch_deg,
        cam.roll_deg,
        1.0,
        1000,
        1000,
    );
    let hfov = cam.fov_deg.to_radians();
    let vfov = 2.0 * ((hfov / 2.0).tan() * aspect).atan();
    CameraPose {
        eye,
        target: Enu::from_vector(eye.to_vector() + c.forward() * 10.0),
        fov_deg: vfov.to_degrees(),
        roll_deg: cam.roll_deg,
    }
}

/// A camera on its way between two poses, `t` from 0 to 1: eased in and out, and lifted on
/// long moves so the view rises over the site instead of cutting through it.
pub fn interpolate(a: &CameraPose, b: &CameraPose, t: f64) -> CameraPose {
    if t <= 0.0 {
        return *a;
    }
    if t >= 1.0 {
        return *b;
    }
    // Smootherstep: zero speed and acceleration at both ends.
    let s = t * t * t * (t * (t * 6.0 - 15.0) + 10.0);
    let lerp = |x: f64, y: f64| x + (y - x) * s;
    let mix = |p: Enu, q: Enu| Enu {
        east_m: lerp(p.east_m, q.east_m),
        north_m: lerp(p.north_m, q.north_m),
        up_m: lerp(p.up_m, q.up_m),
    };
    let mut eye = mix(a.eye, b.eye);
    let travel =
        ((b.eye.east_m - a.eye.east_m).powi(2) + (b.eye.north_m - a.eye.north_m).powi(2)).sqrt();
    let height = ((a.eye.up_m - a.target.up_m).abs()).max((b.eye.up_m - b.target.up_m).abs());
    if travel > height {
        // Rise by up to a quarter of the distance travelled, most in the middle.
        eye.up_m += 0.25 * (travel - height) * (std::f64::consts::PI * s).sin();
    }
    CameraPose {
        eye,
        target: mix(a.target, b.target),
        fov_deg: lerp(a.fov_deg, b.fov_deg),
        roll_deg: lerp(a.roll_deg, b.roll_deg),
    }
}

/// What one moment of playback shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// Index of the step in the storyline.
    pub step: usize,
    pub pose: CameraPose,
    /// The clock; None when the step leaves it alone and no earlier step set it.
    pub time: Option<DateTime<Utc>>,
    /// True while the camera is still moving to the step.
    pub moving: bool,
}

/// The storyline resolved for playback: each step's pose and clock, with the time where it
/// starts. Frame `k` at `fps` is `moment_at(k / fps)`: a function of numbers only.
#[derive(Debug, Clone)]
pub struct StoryPlan {
    steps: Vec<PlannedStep>,
}

#[derive(Debug, Clone)]
struct PlannedStep {
    start_s: f64,
    transition_s: f64,
    seconds: f64,
    from_pose: CameraPose,
    pose: CameraPose,
    time: Option<StepTime>,
    /// The clock as it was left by earlier steps, for steps that leave it alone.
    carried_time: Option<DateTime<Utc>>,
}

impl StoryPlan {
    /// Plans the whole storyline; the first unplayable step is an error naming it.
    pub fn new(case: &Case, storyline: &Storyline) -> Result<Self, String> {
        let mut steps = Vec::with_capacity(storyline.steps.len());
        let mut start_s = 0.0;
        let mut previous: Option<CameraPose> = None;
        let mut clock: Option<DateTime<Utc>> = None;
        for step in &storyline.steps {
            if let Some(p) = step.validate(case).into_iter().next() {
                return Err(p);
            }
            let pose = step.pose(case)?;
            // The first step starts where it looks: nothing to move from.
            let transition_s = if previous.is_some() {
                step.transition_seconds
            } else {
                0.0
            };
            let carried_time = clock;
            if let Some(t) = step.time {
                clock = Some(t.to.unwrap_or(t.from));
            }
            steps.push(PlannedStep {
                start_s,
                transition_s,
                seconds: step.seconds,
                from_pose: previous.unwrap_or(pose),
                pose,
                time: step.time,
                carried_time,
            });
            start_s += transition_s + step.seconds;
            previous = Some(pose);
        }
        Ok(Self { steps })
    }

    /// Length of the whole playback, seconds.
    pub fn duration_s(&self) -> f64 {
        self.steps
            .last()
            .map(|s| s.start_s + s.transition_s + s.seconds)
            .unwrap_or(0.0)
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How long step `i` plays: its camera move, then its own seconds.
    pub fn step_length_s(&self, i: usize) -> Option<f64> {
        self.steps.get(i).map(|s| s.transition_s + s.seconds)
    }

    /// What playback shows `seconds` after it began (clamped to the end).
    pub fn moment_at(&self, seconds: f64) -> Option<Moment> {
        let i = self
            .steps
            .iter()
            .rposition(|s| s.start_s <= seconds)
            .unwrap_or(0);
        self.moment_in_step(i, seconds - self.steps.get(i)?.start_s)
    }

    /// What step `i` shows `seconds` after it began.
    pub fn moment_in_step(&self, i: usize, seconds: f64) -> Option<Moment> {
        let s = self.steps.get(i)?;
        let into = seconds.max(0.0);
        if into < s.transition_s {
            let pose = interpolate(&s.from_pose, &s.pose, into / s.transition_s);
            let time = s.time.map(|t| t.from).or(s.carried_time);
            return Some(Moment {
                step: i,
                pose,
                time,
                moving: true,
            });
        }
        let played = into - s.transition_s;
        let fraction = if s.seconds > 0.0 {
            played / s.seconds
        } else {
            1.0
        };
        Some(Moment {
            step: i,
            pose: s.pose,
            time: s.time.map(|t| t.at(fraction)).or(s.carried_time),
            moving: false,
        })
    }

    /// The moment a still picture of step `i` shows: camera arrived, clock at the end of
    /// its range.
    pub fn still_of_step(&self, i: usize) -> Option<Moment> {
        let s = self.steps.get(i)?;
        self.moment_in_step(i, s.transition_s + s.seconds)
    }

    /// Number of frames playback takes at `fps` (at least one per step's still).
    pub fn frame_count(&self, fps: u32) -> u64 {
        (self.duration_s() * fps as f64).round() as u64 + 1
    }
}

/// Frame times for playing `from`..`to` in `frames` frames: exact to the microsecond, the
/// first at `from` and the last at `to`.
pub fn range_times(from: DateTime<Utc>, to: DateTime<Utc>, frames: u64) -> Vec<DateTime<Utc>> {
    let span = StepTime { from, to: Some(to) };
    if frames <= 1 {
        return vec![from];
    }
    (0..frames)
        .map(|k| span.at(k as f64 / (frames - 1) as f64))
        .collect()
}

/// The longest a step may play, seconds.
pub const MAX_STEP_SECONDS: f64 = 3600.0;
/// The longest a camera move between steps may take, seconds.
pub const MAX_TRANSITION_SECONDS: f64 = 600.0;

/// How far (minutes) a clock time named in a caption may lie outside its step's moment or
/// range before it is questioned: "shortly before noon" for a step ending 11:52 is fine.
pub const CAPTION_TIME_SLACK_MIN: i64 = 15;

/// Clock times a step's caption names ("between about 10:02 and 10:03") that are not within
/// its moment or range as shown in `tz`, the case's display zone — the sign of a caption
/// written in UTC or another zone while the view's clock shows local time. One message each.
pub fn caption_time_problems(step: &Step, tz: chrono_tz::Tz) -> Vec<String> {
    use chrono::Timelike;
    let Some(time) = step.time else {
        return vec![];
    };
    let (from, to) = (
        time.from.with_timezone(&tz),
        time.to.unwrap_or(time.from).with_timezone(&tz),
    );
    let minute_of_day = |t: &chrono::DateTime<chrono_tz::Tz>| i64::from(t.hour() * 60 + t.minute());
    let (lo, hi) = (minute_of_day(&from), minute_of_day(&to));
    // A range across midnight is judged on a 48-hour clock.
    let hi = if hi < lo { hi + 24 * 60 } else { hi };
    let shown = if lo == hi % (24 * 60) && time.to.is_none() {
        from.format("%H:%M %Z").to_string()
    } else {
        format!("{}–{}", from.format("%H:%M"), to.format("%H:%M %Z"))
    };
    clock_times(&step.caption)
        .into_iter()
        .filter(|&(h, m)| {
            let t = i64::from(h * 60 + m);
            [t, t + 24 * 60]
                .iter()
                .all(|&t| t < lo - CAPTION_TIME_SLACK_MIN || t > hi + CAPTION_TIME_SLACK_MIN)
        })
        .map(|(h, m)| {
            format!(
                "the caption names {h:02}:{m:02}, but this step shows {shown} ({}); give clock times in the case's display time zone",
                tz.name()
            )
        })
        .collect()
}

/// Clock times written as H:MM or HH:MM (00:00–23:59) in a text, in order.
fn clock_times(text: &str) -> Vec<(u32, u32)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if c != b':' || i == 0 {
            continue;
        }
        let digits_before = b[..i]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let after = &b[i + 1..];
        let digits_after = after.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=2).contains(&digits_before) || digits_after != 2 {
            continue;
        }
        // Not part of a longer number or a date-time with seconds ("10:02:30" counts once).
        let start = i - digits_before;
        if start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b':') {
            continue;
        }
        let h: u32 = text[start..i].parse().unwrap_or(99);
        let m: u32 = text[i + 1..i + 3].parse().unwrap_or(99);
        if h < 24 && m < 60 {
            out.push((h, m));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enu(e: f64, n: f64, u: f64) -> Enu {
        Enu {
            east_m: e,
            north_m: n,
            up_m: u,
        }
    }

    fn pose(e: f64) -> CameraPose {
        CameraPose {
            eye: enu(e, -50.0, 30.0),
            target: enu(e, 0.0, 0.0),
            fov_deg: 45.0,
            roll_deg: 0.0,
        }
    }

    fn case() -> Case {
        serde_json::from_str(
            r#"{"format_version": 1, "title": "t",
                "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0},
                "display_time_zone": "UTC",
                "bookmarks": [{"name": "Gate", "eye": {"east_m": 0, "north_m": -10, "up_m": 5},
                               "target": {"east_m": 0, "north_m": 0, "up_m": 0}}]}"#,
        )
        .unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn interpolation_starts_and_ends_exactly_and_rises_on_long_moves() {
        let a = pose(0.0);
        let b = pose(1000.0);
        assert_eq!(interpolate(&a, &b, 0.0), a);
        assert_eq!(interpolate(&a, &b, 1.0), b);
        let mid = interpolate(&a, &b, 0.5);
        assert!((mid.eye.east_m - 500.0).abs() < 1e-9);
        assert!(mid.eye.up_m > 30.0 + 100.0, "lifted: {}", mid.eye.up_m);
        // Short moves are not lifted.
        let c = pose(10.0);
        assert!((interpolate(&a, &c, 0.5).eye.up_m - 30.0).abs() < 1e-9);
    }

    #[test]
    fn plan_walks_steps_with_moves_and_time_ranges() {
        let case = case();
        let mut s1 = Step::new("S1".into(), StepView::Camera(pose(0.0)));
        s1.time = Some(StepTime {
            from: t("2025-06-14T10:00:00Z"),
            to: Some(t("2025-06-14T10:01:00Z")),
        });
        s1.seconds = 6.0;
        let mut s2 = Step::new(
            "S2".into(),
            StepView::Bookmark {
                name: "gate".into(),
            },
        );
        s2.transition_seconds = 2.0;
        s2.seconds = 4.0;
        let story = Storyline {
            banner: DEFAULT_BANNER.into(),
            steps: vec![s1, s2],
        };
        let plan = StoryPlan::new(&case, &story).unwrap();
        assert_eq!(plan.duration_s(), 12.0);
        assert_eq!(plan.frame_count(25), 301);
        let m = plan.moment_at(3.0).unwrap();
        assert_eq!(m.step, 0);
        assert_eq!(m.time, Some(t("2025-06-14T10:00:30Z")));
        assert!(!m.moving);
        let m = plan.moment_at(7.0).unwrap();
        assert_eq!((m.step, m.moving), (1, true));
        // A step without its own time keeps the clock where the last one left it.
        assert_eq!(m.time, Some(t("2025-06-14T10:01:00Z")));
        let end = plan.moment_at(100.0).unwrap();
        assert_eq!(end.pose, CameraPose::from(&case.bookmarks[0]));
        assert_eq!(
            plan.still_of_step(0).unwrap().time,
            Some(t("2025-06-14T10:01:00Z"))
        );
    }

    #[test]
    fn unplayable_steps_are_named() {
        let case = case();
        let mut s = Step::new(
            "S4".into(),
            StepView::Bookmark {
                name: "Nowhere".into(),
            },
        );
        s.highlighted.push("W9".into());
        s.seconds = -1.0;
        let problems = s.validate(&case);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("Nowhere"));
        let story = Storyline {
            steps: vec![s],
            ..Storyline::default()
        };
        assert!(StoryPlan::new(&case, &story).unwrap_err().contains("S4"));
    }

    #[test]
    fn range_times_are_exact_at_both_ends() {
        let from = t("2025-06-14T10:00:00Z");
        let to = t("2025-06-14T10:00:01Z");
        let times = range_times(from, to, 4);
        assert_eq!(times.len(), 4);
        assert_eq!(times[0], from);
        assert_eq!(times[3], to);
        assert_eq!(times[1] - from, Duration::microseconds(333_333));
    }

    #[test]
    fn storyline_round_trips_through_json() {
        let mut s = Step::new("S1".into(), StepView::Camera(pose(1.0)));
        s.caption = "The convoy arrives — 10:04".into();
        s.hidden_categories.push(Category::Witness);
        let story = Storyline {
            banner: "Rekonstruktion – illustrativ".into(),
            steps: vec![s],
        };
        let json = serde_json::to_string(&story).unwrap();
        let back: Storyline = serde_json::from_str(&json).unwrap();
        assert_eq!(back, story);
        let empty: Storyline = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.banner, DEFAULT_BANNER);
    }

    #[test]
    fn storyline_commands_apply_undo_and_refuse_stale_edits() {
        use crate::case::edit::{Edit, History, next_id};
        let mut case = case();
        let mut history = History::default();
        let id1 = next_id(&case, "S");
        let s1 = Step::new(id1.clone(), StepView::Camera(pose(0.0)));
        history
            .apply(
                &mut case,
                Edit::AddStep {
                    index: 0,
                    step: Box::new(s1.clone()),
                },
            )
            .unwrap();
        let id2 = next_id(&case, "S");
        assert_eq!((id1.as_str(), id2.as_str()), ("S1", "S2"));
        let s2 = Step::new(
            id2.clone(),
            StepView::Bookmark {
                name: "Gate".into(),
            },
        );
        history
            .apply(
                &mut case,
                Edit::AddStep {
                    index: 1,
                    step: Box::new(s2.clone()),
                },
            )
            .unwrap();
        // Duplicate ids are refused.
        assert!(
            Edit::AddStep {
                index: 0,
                step: Box::new(s2.clone())
            }
            .apply(&mut case)
            .is_err()
        );
        // Reorder.
        let mv = Edit::MoveStep {
            id: id2.clone(),
            from: 1,
            to: 0,
        };
        assert_eq!(mv.describe(), "move storyline step S2 from 2 to 1");
        history.apply(&mut case, mv.clone()).unwrap();
        assert_eq!(case.storyline.steps[0].id, "S2");
        // A move that no longer matches the list changes nothing.
        assert!(mv.apply(&mut case).is_err());
        // Edit a caption.
        let mut edited = s1.clone();
        edited.caption = "Arrival".into();
        history
            .apply(
                &mut case,
                Edit::ReplaceStep {
                    before: Box::new(s1.clone()),
                    after: Box::new(edited),
                },
            )
            .unwrap();
        assert_eq!(case.storyline.steps[1].caption, "Arrival");
        history
            .apply(
                &mut case,
                Edit::SetBanner {
                    before: DEFAULT_BANNER.into(),
                    after: "Illustration only".into(),
                },
            )
            .unwrap();
        // Delete, then undo everything back to an empty storyline.
        history
            .apply(
                &mut case,
                Edit::RemoveStep {
                    index: 0,
                    step: Box::new(s2.clone()),
                },
            )
            .unwrap();
        assert_eq!(case.storyline.steps.len(), 1);
        while let Some(r) = history.undo(&mut case) {
            r.unwrap();
        }
        assert_eq!(case.storyline, Storyline::default());
        // The edits survive the audit log's serialisation.
        let json = serde_json::to_string(&Edit::MoveStep {
            id: "S1".into(),
            from: 0,
            to: 1,
        })
        .unwrap();
        assert!(json.contains("\"op\":\"move_step\""), "{json}");
    }

    #[test]
    fn captions_naming_times_outside_their_step_are_questioned() {
        let tz: chrono_tz::Tz = "Europe/Amsterdam".parse().unwrap();
        let t = |s: &str| crate::time::parse_rfc3339(s).unwrap();
        let mut step = Step {
            caption: "Shots are heard between about 10:02 and 10:03.".into(),
            time: Some(StepTime {
                from: t("2025-06-14T10:01:30Z"),
                to: Some(t("2025-06-14T10:04:00Z")),
            }),
            ..Step::new("s1".into(), StepView::Bookmark { name: "x".into() })
        };
        // Written in UTC while the clock shows CEST (12:01–12:04): both times questioned.
        let p = caption_time_problems(&step, tz);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].contains("10:02") && p[0].contains("12:01–12:04 CEST"),
            "{p:?}"
        );
        step.caption = "Shots are heard between about 12:02 and 12:03.".into();
        assert!(caption_time_problems(&step, tz).is_empty());
        // "Shortly before 12:00" for a step ending 11:52 is within the slack.
        step.caption = "Shortly before 12:00, at 11:45:10.".into();
        step.time = Some(StepTime {
            from: t("2025-06-14T09:45:00Z"),
            to: Some(t("2025-06-14T09:52:00Z")),
        });
        assert!(caption_time_problems(&step, tz).is_empty());
        step.time = None;
        step.caption = "At 03:00.".into();
        assert!(
            caption_time_problems(&step, tz).is_empty(),
            "no moment, no check"
        );
        assert_eq!(
            clock_times("a 9:05, b 23:59, not 24:00 or 123:45 or 1:2"),
            [(9, 5), (23, 59)]
        );
    }
}
