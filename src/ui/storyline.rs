//! The storyline editor: the case's steps in order; add the current view as a step, reorder,
//! edit, delete, preview; the banner's wording. Every change is an undoable, audited edit.

use bevy_egui::egui;
use chrono_tz::Tz;
use locus_core::case::Category;
use locus_core::case::edit::{Edit, next_id};
use locus_core::case::facets::SavedFilter;
use locus_core::case::storyline::{CameraPose, Step, StepTime, StepView};
use locus_core::time::{Precision, format_local_precision, parse_local};

use super::UiAction;
use crate::case_scene::CaseScene;
use crate::editing::EditCommand;
use crate::present::PresentCommand;
use crate::view::clock::TimeControl;
use crate::view::story::StoryView;

#[derive(Default)]
pub struct StorylineEditor {
    pub open: bool,
    /// The step being edited, as typed so far.
    draft: Option<Draft>,
    banner: Option<String>,
}

/// A step's fields as text, checked only when applied.
struct Draft {
    original: Step,
    caption: String,
    from: String,
    to: String,
    seconds: f64,
    transition: f64,
    show_all_times: bool,
    hidden_categories: Vec<Category>,
    hidden_items: String,
    highlighted: String,
    hidden_models: Vec<String>,
    filter: Option<SavedFilter>,
    use_view: Option<CameraPose>,
    errors: Vec<String>,
}

fn ids(list: &[String]) -> String {
    list.join(", ")
}

fn parse_ids(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

impl Draft {
    fn new(step: &Step, tz: Tz) -> Self {
        let show = |t| format_local_precision(t, tz, Precision::Second);
        Self {
            original: step.clone(),
            caption: step.caption.clone(),
            from: step.time.map(|t| show(t.from)).unwrap_or_default(),
            to: step.time.and_then(|t| t.to).map(show).unwrap_or_default(),
            seconds: step.seconds,
            transition: step.transition_seconds,
            show_all_times: step.show_all_times,
            hidden_categories: step.hidden_categories.clone(),
            hidden_items: ids(&step.hidden_items),
            highlighted: ids(&step.highlighted),
            hidden_models: step.hidden_models.clone(),
            filter: step.filter.clone(),
            use_view: None,
            errors: Vec::new(),
        }
    }

    /// The step as the draft describes it; errors name the field.
    fn to_step(&self, scene: &CaseScene) -> Result<Step, Vec<String>> {
        let mut errors = Vec::new();
        let mut step = self.original.clone();
        step.caption = self.caption.trim().to_string();
        let parse = |s: &str, field: &str, errors: &mut Vec<String>| {
            if s.trim().is_empty() {
                return None;
            }
            parse_local(s, scene.tz())
                .map_err(|e| errors.push(format!("{field}: {e}")))
                .ok()
        };
        let from = parse(&self.from, "From", &mut errors);
        let to = parse(&self.to, "To", &mut errors);
        step.time = match (from, to) {
            (Some(from), to) => Some(StepTime { from, to }),
            (None, Some(_)) => {
                errors.push("To: a range needs a start (From)".into());
                None
            }
            (None, None) => None,
        };
        step.seconds = self.seconds;
        step.transition_seconds = self.transition;
        step.show_all_times = self.show_all_times;
        step.hidden_categories = self.hidden_categories.clone();
        step.hidden_items = parse_ids(&self.hidden_items);
        step.highlighted = parse_ids(&self.highlighted);
        step.hidden_models = self.hidden_models.clone();
        step.filter = self.filter.clone();
        if let Some(p) = self.use_view {
            step.view = StepView::Camera(p);
        }
        errors.extend(step.validate(scene.case()));
        if errors.is_empty() {
            Ok(step)
        } else {
            Err(errors)
        }
    }
}

/// What the editor needs of the view around it.
pub struct ViewNow<'a> {
    pub pose: Option<CameraPose>,
    /// Looking through an item's camera (its id, the photo's opacity): a step added now looks
    /// through it too.
    pub through: Option<(String, f64)>,
    pub control: &'a TimeControl,
    pub selected_ids: Vec<String>,
    pub hidden_categories: Vec<Category>,
    /// The evidence list's filter in use (facets, text), if any: a step added now keeps it.
    pub filter: Option<SavedFilter>,
}

/// A new step from what is on screen: the camera, the moment, the category filter, the
/// selection highlighted.
fn step_from_view(scene: &CaseScene, view: &ViewNow, pose: CameraPose) -> Step {
    let through = view
        .through
        .as_ref()
        .filter(|(id, _)| locus_core::case::storyline::through_pose(scene.case(), id).is_ok());
    let view_of = match through {
        Some((item, opacity)) => StepView::Through {
            item: item.clone(),
            opacity: *opacity,
        },
        None => StepView::Camera(pose),
    };
    let mut step = Step::new(next_id(scene.case(), "S"), view_of);
    if view.control.span.is_some() {
        step.time = Some(StepTime {
            from: view.control.now,
            to: None,
        });
    }
    step.show_all_times = view.control.show_all;
    step.hidden_categories = view.hidden_categories.clone();
    step.highlighted = view.selected_ids.clone();
    step.filter = view.filter.clone();
    // The cut the view is seen with, kept with the step.
    step.section = Some(*scene.section()).filter(|s| s.is_active());
    step
}

pub fn storyline_window(
    ctx: &egui::Context,
    scene: &CaseScene,
    editor: &mut StorylineEditor,
    story: &StoryView,
    view: ViewNow,
    export: &mut super::export::ExportState,
    actions: &mut Vec<UiAction>,
) {
    if !editor.open {
        return;
    }
    let case = scene.case();
    let editable = scene.editable();
    let mut open = editor.open;
    let edit = |e: Edit| UiAction::Edit(EditCommand::apply(e));
    egui::Window::new("🎬 Storyline")
        .open(&mut open)
        .default_width(380.0)
        .default_pos(egui::pos2(340.0, 90.0))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(
                        editable && view.pose.is_some(),
                        egui::Button::new("➕ Add current view"),
                    )
                    .on_hover_text(
                        "A new step with this camera, this moment, the categories shown and the selected items highlighted (while looking through a photo's camera: a step through it, the photo laid over)",
                    )
                    .on_disabled_hover_text("This case is read-only")
                    .clicked()
                    && let Some(pose) = view.pose
                {
                    let step = step_from_view(scene, &view, pose);
                    let index = story.step.map_or(case.storyline.steps.len(), |i| i + 1);
                    actions.push(edit(Edit::AddStep {
                        index: index.min(case.storyline.steps.len()),
                        step: Box::new(step),
                    }));
                }
                if ui
                    .add_enabled(
                        !case.storyline.steps.is_empty(),
                        egui::Button::new("▶ Present (F5)"),
                    )
                    .clicked()
                {
                    actions.push(UiAction::Present(PresentCommand::Start(
                        story.step.unwrap_or(0),
                    )));
                }
                if story.step.is_some() && ui.button("Leave step view").clicked() {
                    actions.push(UiAction::Present(PresentCommand::Release));
                }
            });
            // The banner's wording.
            ui.horizontal(|ui| {
                ui.label("Banner");
                let text = editor
                    .banner
                    .get_or_insert_with(|| case.storyline.banner.clone());
                ui.add_enabled(
                    editable,
                    egui::TextEdit::singleline(text).desired_width(220.0),
                );
                if *text != case.storyline.banner
                    && ui.button("Set").clicked()
                {
                    actions.push(edit(Edit::SetBanner {
                        before: case.storyline.banner.clone(),
                        after: text.trim().to_string(),
                    }));
                    editor.banner = None;
                }
            })
            .response
            .on_hover_text("Shown at all times while presenting and on every exported frame");
            ui.separator();
            if case.storyline.steps.is_empty() {
                ui.weak("No steps yet. Set up a view (camera, moment, categories, selection) and add it.");
            }
            let n = case.storyline.steps.len();
            egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
                for (i, step) in case.storyline.steps.iter().enumerate() {
                    let current = story.step == Some(i);
                    ui.horizontal(|ui| {
                        let mut label = format!(
                            "{}. {}",
                            i + 1,
                            if step.caption.is_empty() { "(no caption)" } else { &step.caption }
                        );
                        if let Some((id, _)) = step.through() {
                            label = format!("{label} [through {id}]");
                        }
                        let short: String = label.chars().take(40).collect();
                        if ui
                            .selectable_label(current, short)
                            .on_hover_text(&step.caption)
                            .clicked()
                        {
                            actions.push(UiAction::Present(PresentCommand::Preview(i)));
                        }
                        let problems =
                            locus_core::case::storyline::caption_time_problems(step, scene.tz());
                        if !problems.is_empty() {
                            ui.colored_label(egui::Color32::from_rgb(255, 190, 60), "⚠")
                                .on_hover_text(problems.join("\n"));
                        }
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            ui.add_enabled_ui(editable, |ui| {
                                if ui.small_button("🗑").on_hover_text("Delete this step").clicked() {
                                    actions.push(edit(Edit::RemoveStep {
                                        index: i,
                                        step: Box::new(step.clone()),
                                    }));
                                }
                                if ui.small_button("✏").on_hover_text("Edit this step").clicked() {
                                    editor.draft = Some(Draft::new(step, scene.tz()));
                                }
                                if ui
                                    .add_enabled(i + 1 < n, egui::Button::new("⏷").small())
                                    .on_hover_text("Later")
                                    .clicked()
                                {
                                    actions.push(edit(Edit::MoveStep { id: step.id.clone(), from: i, to: i + 1 }));
                                }
                                if ui
                                    .add_enabled(i > 0, egui::Button::new("⏶").small())
                                    .on_hover_text("Earlier")
                                    .clicked()
                                {
                                    actions.push(edit(Edit::MoveStep { id: step.id.clone(), from: i, to: i - 1 }));
                                }
                            });
                        });
                    });
                    for p in step.validate(case) {
                        ui.colored_label(egui::Color32::from_rgb(230, 120, 60), p);
                    }
                }
            });
            ui.separator();
            super::export::export_ui(ui, scene, export);
            if let Some(draft) = &mut editor.draft {
                ui.separator();
                let still_there = case.storyline.steps.iter().any(|s| s.id == draft.original.id);
                if !still_there {
                    editor.draft = None;
                    return;
                }
                let mut close = false;
                draft_ui(ui, scene, draft, &view, &mut close, actions);
                if close {
                    editor.draft = None;
                }
            }
        });
    editor.open = open;
}

fn draft_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    d: &mut Draft,
    view: &ViewNow,
    close: &mut bool,
    actions: &mut Vec<UiAction>,
) {
    let case = scene.case();
    ui.strong(format!("Step {}", d.original.id));
    ui.label("Caption (shown large while presenting)");
    ui.add(
        egui::TextEdit::multiline(&mut d.caption)
            .desired_rows(2)
            .desired_width(f32::INFINITY),
    );
    // Clock times in the caption are checked against the step's moment as typed so far.
    let mut probe = d.original.clone();
    probe.caption = d.caption.clone();
    if let Ok(from) = parse_local(&d.from, scene.tz()) {
        probe.time = Some(StepTime {
            from,
            to: parse_local(&d.to, scene.tz()).ok(),
        });
    }
    for p in locus_core::case::storyline::caption_time_problems(&probe, scene.tz()) {
        ui.colored_label(egui::Color32::from_rgb(255, 190, 60), format!("⚠ {p}"));
    }
    egui::Grid::new("step_fields")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("From");
            ui.add(
                egui::TextEdit::singleline(&mut d.from)
                    .hint_text("2025-06-14 12:02:00 (blank: clock left as is)"),
            );
            ui.end_row();
            ui.label("To");
            ui.add(egui::TextEdit::singleline(&mut d.to).hint_text("blank: one moment"));
            ui.end_row();
            ui.label("Lasts");
            ui.add(
                egui::DragValue::new(&mut d.seconds)
                    .range(0.0..=600.0)
                    .suffix(" s"),
            );
            ui.end_row();
            ui.label("Camera move");
            ui.add(
                egui::DragValue::new(&mut d.transition)
                    .range(0.0..=30.0)
                    .suffix(" s"),
            );
            ui.end_row();
        });
    ui.horizontal(|ui| {
        if ui.button("Use the clock's moment").clicked() {
            d.from = format_local_precision(view.control.now, scene.tz(), Precision::Second);
        }
        if ui
            .add_enabled(
                view.pose.is_some(),
                egui::Button::new("Use the current view"),
            )
            .clicked()
        {
            d.use_view = view.pose;
        }
        if d.use_view.is_some() {
            ui.weak("(camera will be replaced)");
        }
    });
    ui.checkbox(&mut d.show_all_times, "Show all items whatever their time");
    ui.label("Categories shown");
    ui.horizontal_wrapped(|ui| {
        for c in Category::ALL {
            super::shown_checkbox(ui, &mut d.hidden_categories, &c, c.label());
        }
    });
    ui.horizontal(|ui| {
        ui.label("Filter");
        let shown = d
            .filter
            .as_ref()
            .map_or("none", |f| f.name.as_str())
            .to_string();
        egui::ComboBox::from_id_salt("step_filter")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut d.filter, None, "none");
                for f in &case.saved_filters {
                    ui.selectable_value(&mut d.filter, Some(f.clone()), &f.name)
                        .on_hover_text(f.describe(scene.tz()));
                }
            })
            .response
            .on_hover_text(
                "Only the items a saved filter keeps (evidence list → More filters → Save); \
                 the step keeps a copy",
            );
    });
    ui.horizontal(|ui| {
        ui.label("Highlighted");
        ui.text_edit_singleline(&mut d.highlighted);
        if ui.small_button("= selection").clicked() {
            d.highlighted = ids(&view.selected_ids);
        }
    });
    ui.horizontal(|ui| {
        ui.label("Hidden items");
        ui.text_edit_singleline(&mut d.hidden_items);
        if ui.small_button("+ selection").clicked() {
            let mut all = parse_ids(&d.hidden_items);
            all.extend(view.selected_ids.iter().cloned());
            all.dedup();
            d.hidden_items = ids(&all);
        }
    });
    if case.models.len() > 1 {
        ui.label("Models shown");
        for m in &case.models {
            super::shown_checkbox(ui, &mut d.hidden_models, &m.id, &m.title);
        }
    }
    for e in &d.errors {
        ui.colored_label(egui::Color32::from_rgb(230, 90, 70), e);
    }
    ui.horizontal(|ui| {
        if ui.button("Apply").clicked() {
            match d.to_step(scene) {
                Ok(step) => {
                    if step != d.original {
                        actions.push(UiAction::Edit(EditCommand::apply(Edit::ReplaceStep {
                            before: Box::new(d.original.clone()),
                            after: Box::new(step),
                        })));
                    }
                    *close = true;
                }
                Err(errors) => d.errors = errors,
            }
        }
        if ui.button("Cancel").clicked() {
            *close = true;
        }
    });
}
