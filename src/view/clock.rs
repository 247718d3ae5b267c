//! The case clock: current moment, play/pause, speed, loop, "show all". State plus a command
//! queue applied once per frame (the Rerun `TimeControl` pattern), so buttons, keys and
//! scripted tests all change time the same way.

use bevy::prelude::*;
use chrono::{DateTime, Utc};
use locus_core::case::timeline::{TimeSpan, add_seconds, seconds_between};

use crate::case_scene::CaseScene;

pub const SPEEDS: [f64; 8] = [1.0, 2.0, 10.0, 30.0, 60.0, 300.0, 600.0, 3600.0];

#[derive(Resource, Debug, Clone)]
pub struct TimeControl {
    pub now: DateTime<Utc>,
    pub playing: bool,
    /// Case seconds per wall-clock second.
    pub speed: f64,
    pub looping: bool,
    /// Show every item regardless of its time.
    pub show_all: bool,
    pub span: Option<TimeSpan>,
}

impl Default for TimeControl {
    fn default() -> Self {
        Self {
            now: DateTime::<Utc>::UNIX_EPOCH,
            playing: false,
            speed: 60.0,
            looping: false,
            show_all: false,
            span: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimeCommand {
    TogglePlay,
    SetSpeed(f64),
    Seek(DateTime<Utc>),
    StepNext,
    StepPrevious,
    ToStart,
    ToEnd,
    SetLoop(bool),
    SetShowAll(bool),
}

#[derive(Resource, Default)]
pub struct TimeCommands(pub Vec<TimeCommand>);

impl TimeCommands {
    pub fn push(&mut self, c: TimeCommand) {
        self.0.push(c);
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<TimeControl>()
        .init_resource::<TimeCommands>()
        .add_systems(
            Update,
            (
                reset_on_new_case.run_if(resource_changed::<CaseScene>),
                advance_time,
            )
                .chain(),
        )
        .add_systems(PostUpdate, apply_time_commands);
}

fn reset_on_new_case(scene: Res<CaseScene>, mut control: ResMut<TimeControl>) {
    control.span = scene.span().cloned();
    control.playing = false;
    if let Some(span) = scene.span().cloned() {
        control.now = span.start;
        // Pick a speed that plays the whole span in about two minutes.
        let ideal = span.duration_s() / 120.0;
        control.speed = SPEEDS
            .iter()
            .copied()
            .min_by(|a, b| (a - ideal).abs().total_cmp(&(b - ideal).abs()))
            .unwrap_or(60.0);
    }
}

/// Wall-clock time drives playback (virtual time caps its steps at 250 ms, which would slow
/// playback on a slow renderer).
fn advance_time(time: Res<Time<Real>>, mut control: ResMut<TimeControl>) {
    if !control.playing {
        return;
    }
    let Some(span) = control.span.clone() else {
        control.playing = false;
        return;
    };
    let next = add_seconds(control.now, time.delta_secs_f64() * control.speed);
    if next >= span.end {
        if control.looping {
            control.now = span.start;
        } else {
            control.now = span.end;
            control.playing = false;
        }
    } else {
        control.now = next;
    }
}

pub fn apply_time_commands(mut commands: ResMut<TimeCommands>, mut control: ResMut<TimeControl>) {
    for c in std::mem::take(&mut commands.0) {
        apply(&mut control, c);
    }
}

/// One command applied to the clock; clamps to the case's span.
pub fn apply(control: &mut TimeControl, command: TimeCommand) {
    let span = control.span.clone();
    let clamp = |t: DateTime<Utc>| match &span {
        Some(s) => t.clamp(s.start, s.end),
        None => t,
    };
    match command {
        TimeCommand::TogglePlay => {
            if let Some(s) = &span {
                // Playing from the very end starts over.
                if !control.playing && seconds_between(control.now, s.end) < 0.5 {
                    control.now = s.start;
                }
                control.playing = !control.playing;
            }
        }
        TimeCommand::SetSpeed(s) => control.speed = s.clamp(0.1, 86_400.0),
        TimeCommand::Seek(t) => control.now = clamp(t),
        TimeCommand::StepNext => {
            if let Some(t) = span.as_ref().and_then(|s| s.next_event(control.now)) {
                control.now = t;
            }
        }
        TimeCommand::StepPrevious => {
            if let Some(t) = span.as_ref().and_then(|s| s.previous_event(control.now)) {
                control.now = t;
            }
        }
        TimeCommand::ToStart => {
            if let Some(s) = &span {
                control.now = s.start;
            }
        }
        TimeCommand::ToEnd => {
            if let Some(s) = &span {
                control.now = s.end;
            }
        }
        TimeCommand::SetLoop(l) => control.looping = l,
        TimeCommand::SetShowAll(a) => control.show_all = a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use locus_core::time::parse_rfc3339;

    fn control() -> TimeControl {
        let t = |s: &str| parse_rfc3339(s).unwrap();
        TimeControl {
            now: t("2025-06-14T10:00:00Z"),
            span: Some(TimeSpan {
                start: t("2025-06-14T09:00:00Z"),
                end: t("2025-06-14T12:00:00Z"),
                events: vec![
                    t("2025-06-14T09:30:00Z"),
                    t("2025-06-14T10:00:00Z"),
                    t("2025-06-14T11:00:00Z"),
                ],
            }),
            ..Default::default()
        }
    }

    #[test]
    fn stepping_moves_between_events() {
        let mut c = control();
        apply(&mut c, TimeCommand::StepNext);
        assert_eq!(c.now, parse_rfc3339("2025-06-14T11:00:00Z").unwrap());
        apply(&mut c, TimeCommand::StepPrevious);
        apply(&mut c, TimeCommand::StepPrevious);
        assert_eq!(c.now, parse_rfc3339("2025-06-14T09:30:00Z").unwrap());
    }

    #[test]
    fn seeking_is_clamped_to_the_span() {
        let mut c = control();
        apply(
            &mut c,
            TimeCommand::Seek(parse_rfc3339("2030-01-01T00:00:00Z").unwrap()),
        );
        assert_eq!(c.now, c.span.as_ref().unwrap().end);
    }

    #[test]
    fn playing_advances_with_speed_and_stops_at_the_end() {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins);
        app.insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(
            std::time::Duration::from_millis(500),
        ));
        let mut c = control();
        c.speed = 600.0;
        c.playing = true;
        app.insert_resource(c)
            .init_resource::<TimeCommands>()
            .add_systems(Update, advance_time);
        // Bevy's clock needs a couple of updates before it reports deltas.
        app.update();
        app.update();
        let before = app.world().resource::<TimeControl>().now;
        app.update();
        let after = app.world().resource::<TimeControl>().now;
        // One update of 0.5 s at 600× advances the case clock by 300 s.
        assert_eq!(seconds_between(before, after), 300.0);
        for _ in 0..40 {
            app.update();
        }
        let c = app.world().resource::<TimeControl>();
        assert!(!c.playing);
        assert_eq!(c.now, c.span.as_ref().unwrap().end);
    }
}
