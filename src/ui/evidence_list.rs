//! The evidence list: every item and track, filtered by text and category; click to select
//! and fly to it. Items not shown at the current time are listed dimmed.

use bevy_egui::egui;
use locus_core::case::Category;
use locus_core::case::timeline::{DEFAULT_FADE_S, item_opacity};
use locus_core::time::format_local_precision;

use super::{UiAction, UiState};
use crate::case_scene::CaseScene;
use crate::view::clock::TimeControl;
use crate::view::markers::{CategoryFilter, Selection, Target};

pub fn swatch(ui: &mut egui::Ui, c: Category) {
    let [r, g, b] = c.colour();
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle(
        rect.center(),
        5.5,
        egui::Color32::from_rgb(r, g, b),
        egui::Stroke::new(1.0, egui::Color32::from_gray(30)),
    );
}

/// True when the item matches the free-text filter (id, title, description, tags).
pub fn matches_text(query: &str, fields: &[&str]) -> bool {
    let q = query.trim().to_lowercase();
    q.is_empty()
        || q.split_whitespace()
            .all(|word| fields.iter().any(|f| f.to_lowercase().contains(word)))
}

/// What the list shows, worked out again only when the case, the filters or the text change
/// (not every frame: a case may hold 200,000 items).
#[derive(Default)]
pub struct ListCache {
    key: Option<(u64, bool, CategoryFilter, String)>,
    /// The categories the case has (the filter's rows).
    present: Vec<Category>,
    /// The items and tracks that pass the filters, in the case's order.
    rows: Vec<Target>,
}

impl ListCache {
    fn refresh(&mut self, scene: &CaseScene, filter: &CategoryFilter, text: &str) {
        let key = (
            scene.revision(),
            scene.site().surface_ready,
            filter.clone(),
            text.to_string(),
        );
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let case = scene.case();
        if self.key.as_ref().is_none_or(|k| k.0 != key.0) {
            self.present = Category::ALL
                .into_iter()
                .filter(|c| {
                    case.evidence.iter().any(|i| i.category == *c)
                        || case.tracks.iter().any(|t| t.category == *c)
                })
                .collect();
        }
        self.rows = case
            .evidence
            .iter()
            .enumerate()
            .filter(|(i, item)| {
                filter.shows_item(item, scene.site().layout.placed(*i))
                    && locus_core::case::facets::matches_text(text, item)
            })
            .map(|(i, _)| Target::Item(i))
            .chain(
                case.tracks
                    .iter()
                    .enumerate()
                    .filter(|(_, track)| {
                        filter.shows(track.category)
                            && filter.level.is_none()
                            && matches_text(text, &[&track.id, &track.title, &track.description])
                    })
                    .map(|(ti, _)| Target::Track(ti)),
            )
            .collect();
        self.key = Some(key);
    }
}

pub fn evidence_list_ui(
    root: &mut egui::Ui,
    scene: &CaseScene,
    control: &TimeControl,
    selection: &Selection,
    filter: &CategoryFilter,
    state: &mut UiState,
    actions: &mut Vec<UiAction>,
) {
    let case = &scene.case();
    egui::Panel::left("evidence_list")
        .resizable(true)
        .default_size(310.0)
        .size_range(220.0..=520.0)
        .show(root, |ui| {
            ui.heading("Evidence");
            ui.horizontal(|ui| {
                ui.label("🔍");
                ui.add(
                    egui::TextEdit::singleline(&mut state.filter_text)
                        .hint_text("filter by text")
                        .desired_width(f32::INFINITY),
                );
            });
            state.list.refresh(scene, filter, &state.filter_text);
            let present = state.list.present.clone();
            egui::Grid::new("category_filter")
                .num_columns(2)
                .show(ui, |ui| {
                    for (k, c) in present.into_iter().enumerate() {
                        ui.horizontal(|ui| {
                            swatch(ui, c);
                            {
                                let mut hidden = filter.hidden.clone();
                                super::shown_checkbox(ui, &mut hidden, &c, c.label());
                                if hidden != filter.hidden {
                                    actions.push(UiAction::SetHiddenCategories(hidden));
                                }
                            }
                        });
                        if k % 2 == 1 {
                            ui.end_row();
                        }
                    }
                });
            facets_ui(ui, scene, selection, filter, state, actions);
            if filter
                .level
                .as_deref()
                .is_some_and(|l| case.level(l).is_none())
            {
                // Another case, or the level was renamed or removed.
                actions.push(UiAction::SetLevelFilter(None));
            }
            if !case.levels.is_empty() {
                ui.horizontal(|ui| {
                    ui.label("Level");
                    let mut level = filter.level.clone();
                    egui::ComboBox::from_id_salt("level_filter")
                        .selected_text(level.as_deref().unwrap_or("all"))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut level, None, "all");
                            for l in &case.levels {
                                ui.selectable_value(&mut level, Some(l.name.clone()), &l.name);
                            }
                        })
                        .response
                        .on_hover_text(
                            "Only the items of one storey, everything above its ceiling cut away",
                        );
                    if level != filter.level {
                        actions.push(UiAction::SetLevelFilter(level));
                    }
                });
            }
            ui.separator();
            // Only the rows on screen are laid out, so a case of 200,000 items scrolls as one
            // of twenty.
            let rows = &state.list.rows;
            let row = |ui: &mut egui::Ui, target: Target, actions: &mut Vec<UiAction>| match target
            {
                Target::Item(i) => {
                    let item = &case.evidence[i];
                    let visible_now = control.show_all
                        || item_opacity(item.time.as_ref(), control.now, DEFAULT_FADE_S) > 0.0;
                    let when = item
                        .time
                        .as_ref()
                        .map(|t| {
                            format_local_precision(
                                t.start(),
                                scene.tz(),
                                t.precision.min(locus_core::time::Precision::Minute),
                            )
                        })
                        .unwrap_or_else(|| "time unknown".into());
                    row_ui(
                        ui,
                        item.category,
                        &item.id,
                        &item.title,
                        &when,
                        visible_now,
                        selection.is_selected(target),
                        target,
                        actions,
                    );
                }
                Target::Track(ti) => {
                    let track = &case.tracks[ti];
                    let when = track
                        .points
                        .first()
                        .map(|p| {
                            format!(
                                "track from {}",
                                format_local_precision(
                                    p.time,
                                    scene.tz(),
                                    locus_core::time::Precision::Minute
                                )
                            )
                        })
                        .unwrap_or_default();
                    row_ui(
                        ui,
                        track.category,
                        &track.id,
                        &track.title,
                        &when,
                        true,
                        selection.is_selected(target),
                        target,
                        actions,
                    );
                }
                Target::Measurement(_) | Target::Sight(_) => {}
            };
            if rows.len() <= MANY_ROWS {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        for t in rows {
                            row(ui, *t, actions);
                        }
                        if rows.is_empty() {
                            ui.weak("Nothing matches the filter.");
                        }
                        annotations_ui(ui, scene, selection, actions);
                    });
            } else {
                ui.weak(format!(
                    "{} of {} shown",
                    rows.len(),
                    case.evidence.len() + case.tracks.len()
                ));
                let row_height = ui.spacing().interact_size.y
                    + ui.text_style_height(&egui::TextStyle::Small)
                    + 2.0 * ui.spacing().item_spacing.y;
                let list_height = (ui.available_height() - 140.0).max(120.0);
                egui::ScrollArea::vertical()
                    .id_salt("evidence_rows")
                    .auto_shrink([false, false])
                    .max_height(list_height)
                    .show_rows(ui, row_height, rows.len(), |ui, range| {
                        for t in &rows[range] {
                            row(ui, *t, actions);
                        }
                    });
                ui.separator();
                egui::ScrollArea::vertical()
                    .id_salt("evidence_annotations")
                    .auto_shrink([false, false])
                    .show(ui, |ui| annotations_ui(ui, scene, selection, actions));
            }
        });
}

/// Status, source domain, tag and import file, each value with its count: the ways to cut a
/// mass of imported events down (the tags include `suspicious:…`).
fn facets_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    selection: &Selection,
    filter: &CategoryFilter,
    state: &mut UiState,
    actions: &mut Vec<UiAction>,
) {
    use locus_core::case::facets::facets;
    let case = scene.case();
    let key = (scene.revision(), case.evidence.len());
    if state.facets.as_ref().is_none_or(|(k, _)| *k != key) {
        state.facets = Some((key, facets(case)));
    }
    let like = &mut state.like;
    let text = &mut state.filter_text;
    let save_name = &mut state.save_filter_name;
    let Some((_, f)) = &state.facets else { return };
    let mut chosen = filter.facets.clone();
    let selection_item = match selection.selected {
        Some(Target::Item(i)) => Some(i),
        _ => None,
    };
    let title = if chosen.is_empty() {
        "More filters".to_string()
    } else {
        "More filters (on)".to_string()
    };
    egui::CollapsingHeader::new(title)
        .id_salt("facets")
        .show(ui, |ui| {
            /// Values listed in a facet's menu at the most (the most frequent).
            const LISTED: usize = 60;
            let facet = |ui: &mut egui::Ui,
                         label: &str,
                         value: &mut Option<String>,
                         values: &[(String, usize)]| {
                ui.horizontal(|ui| {
                    ui.label(label);
                    egui::ComboBox::from_id_salt(label)
                        .selected_text(value.as_deref().unwrap_or("any"))
                        .width(170.0)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(value, None, "any");
                            for (v, n) in values.iter().take(LISTED) {
                                ui.selectable_value(value, Some(v.clone()), format!("{v} ({n})"));
                            }
                            if values.len() > LISTED {
                                ui.weak(format!("… {} more", values.len() - LISTED));
                            }
                        });
                });
            };
            let mut status = chosen.status.map(|s| s.label().to_string());
            let statuses: Vec<(String, usize)> = f
                .status
                .iter()
                .map(|(s, n)| (s.label().to_string(), *n))
                .collect();
            facet(ui, "Status", &mut status, &statuses);
            chosen.status = f
                .status
                .iter()
                .map(|(s, _)| *s)
                .find(|s| Some(s.label().to_string()) == status);
            facet(ui, "Source", &mut chosen.domain, &f.domains);
            facet(ui, "Tag", &mut chosen.tag, &f.tags);
            facet(ui, "Imported from", &mut chosen.import, &f.imports);
            ui.separator();
            let tz = scene.tz();
            ui.horizontal_wrapped(|ui| match chosen.time {
                Some((a, b)) => {
                    ui.label(format!(
                        "Time: {} – {}",
                        locus_core::time::format_local(a, tz),
                        locus_core::time::format_local(b, tz)
                    ));
                    if ui.small_button("✖").on_hover_text("Any time").clicked() {
                        chosen.time = None;
                    }
                }
                None => {
                    ui.weak("Time: any (Shift+drag on the timeline's density strip)");
                }
            });
            ui.horizontal_wrapped(|ui| match chosen.area {
                Some([min, max]) => {
                    ui.label(format!(
                        "Area: {:.0} × {:.0} m around E {:.0} N {:.0}",
                        max[0] - min[0],
                        max[1] - min[1],
                        (min[0] + max[0]) / 2.0,
                        (min[1] + max[1]) / 2.0
                    ));
                    if ui.small_button("✖").on_hover_text("Anywhere").clicked() {
                        chosen.area = None;
                    }
                }
                None => {
                    if ui
                        .button("✏ Draw a box")
                        .on_hover_text("Then drag on the ground: only the items inside are kept")
                        .clicked()
                    {
                        actions.push(UiAction::DrawAreaBox);
                    }
                    if ui
                        .button("▭ Only the area in view")
                        .on_hover_text(
                            "Keep only the items on the ground the view shows now (zoom and \
                             pan first); the box stays when the view moves",
                        )
                        .clicked()
                    {
                        actions.push(UiAction::AreaFromView);
                    }
                }
            });
            like_ui(ui, scene, selection_item, &mut chosen, like);
            ui.separator();
            saved_filters_ui(ui, scene, filter, (&mut chosen, text), save_name, actions);
        });
    if chosen != filter.facets {
        actions.push(UiAction::SetFacets(chosen));
    }
}

/// The case's saved filters: each applied with a click (categories, facets and text), or
/// deleted; the filter in use saved under a name. A storyline step can then keep one.
fn saved_filters_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    filter: &CategoryFilter,
    (chosen, text): (&mut locus_core::case::facets::FacetFilter, &mut String),
    name: &mut String,
    actions: &mut Vec<UiAction>,
) {
    use locus_core::case::edit::Edit;
    use locus_core::case::facets::SavedFilter;
    let saved = &scene.case().saved_filters;
    let editable = scene.editable();
    let set = |after: Vec<SavedFilter>, actions: &mut Vec<UiAction>| {
        actions.push(UiAction::Edit(crate::editing::EditCommand::apply(
            Edit::SetSavedFilters {
                before: saved.clone(),
                after,
            },
        )));
    };
    if !saved.is_empty() {
        ui.label("Saved filters");
    }
    for (k, f) in saved.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(&f.name)
                .on_hover_text(format!("Apply: {}", f.describe(scene.tz())))
                .clicked()
            {
                *chosen = f.facets.clone();
                *text = f.text.clone();
                actions.push(UiAction::SetHiddenCategories(f.hidden_categories.clone()));
            }
            if editable && ui.small_button("🗑").on_hover_text("Delete").clicked() {
                let mut after = saved.clone();
                after.remove(k);
                set(after, actions);
            }
        });
    }
    if !editable {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::TextEdit::singleline(name)
                .hint_text("name")
                .desired_width(110.0),
        );
        let current = SavedFilter {
            name: name.trim().to_string(),
            hidden_categories: filter.hidden.clone(),
            facets: chosen.clone(),
            text: text.trim().to_string(),
        };
        let something = !current.facets.is_empty()
            || !current.text.is_empty()
            || !current.hidden_categories.is_empty();
        let button = ui
            .add_enabled(
                something && !current.name.is_empty(),
                egui::Button::new("💾 Save filter"),
            )
            .on_hover_text("Keep the filter in use in the case under this name (replaces one of the same name)")
            .on_disabled_hover_text("Choose some filters and type a name first");
        if button.clicked() {
            let mut after: Vec<SavedFilter> = saved
                .iter()
                .filter(|f| f.name != current.name)
                .cloned()
                .collect();
            after.push(current);
            set(after, actions);
            name.clear();
        }
    });
}

/// "Events like this one": the selected item's place within a radius and its time within a
/// window either side, as facets (the rest of the filters kept).
fn like_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    selected: Option<usize>,
    chosen: &mut locus_core::case::facets::FacetFilter,
    state: &mut crate::ui::LikeWindow,
) {
    if let Some(n) = chosen.near.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Near {}: within {:.0} m", n.item, n.radius_m));
            if ui.small_button("✖").on_hover_text("Anywhere").clicked() {
                chosen.near = None;
            }
        });
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::DragValue::new(&mut state.radius_m)
                .range(1.0..=100_000.0)
                .suffix(" m"),
        );
        ui.add(
            egui::DragValue::new(&mut state.window_min)
                .range(0.0..=525_600.0)
                .suffix(" min"),
        );
        let item = selected.and_then(|i| {
            let case = scene.case();
            let at = scene.site().layout.placed(i)?;
            locus_core::case::facets::FacetFilter::like(
                case.evidence.get(i)?,
                at,
                state.radius_m,
                state.window_min * 60.0,
            )
        });
        let button = ui
            .add_enabled(
                item.is_some(),
                egui::Button::new("≈ Events like the selected"),
            )
            .on_hover_text(
                "Same place within the distance, same time within the minutes either side",
            )
            .on_disabled_hover_text("Select an item with a place and a time first");
        if button.clicked()
            && let Some(like) = item
        {
            chosen.near = like.near;
            chosen.time = like.time;
        }
    });
}

/// More rows than this are laid out only where they are on screen.
const MANY_ROWS: usize = 500;

fn row_ui(
    ui: &mut egui::Ui,
    category: Category,
    id: &str,
    title: &str,
    when: &str,
    visible_now: bool,
    selected: bool,
    target: Target,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        swatch(ui, category);
        let mut text = egui::RichText::new(format!("{id}  {title}"));
        if !visible_now {
            text = text.weak();
        }
        let response = ui.selectable_label(selected, text).on_hover_text(format!(
            "{when}\nclick: select and fly to it; Ctrl+click: add to the selection"
        ));
        if response.clicked() {
            if ui.input(|i| i.modifiers.ctrl || i.modifiers.command) {
                actions.push(UiAction::Toggle(target));
            } else {
                actions.push(UiAction::Focus(target));
            }
        }
    });
    ui.horizontal(|ui| {
        ui.add_space(18.0);
        ui.label(egui::RichText::new(when).small().weak());
    });
}

/// Measurements and lines of sight, each with its result.
fn annotations_ui(
    ui: &mut egui::Ui,
    scene: &CaseScene,
    selection: &Selection,
    actions: &mut Vec<UiAction>,
) {
    let case = scene.case();
    ui.add_space(8.0);
    egui::CollapsingHeader::new(format!("Measurements ({})", case.measurements.len()))
        .default_open(true)
        .show(ui, |ui| {
            if case.measurements.is_empty() {
                ui.weak("None yet: use Distance, Path, Height, Area or Angle in the tool bar.");
            }
            for (i, m) in case.measurements.iter().enumerate() {
                let target = Target::Measurement(i);
                let name = if m.label.is_empty() {
                    m.kind.label().to_string()
                } else {
                    m.label.clone()
                };
                let text = format!(
                    "{}  {name}: {}",
                    m.id,
                    locus_core::analysis::measure::format_value(m.kind, m.value, m.uncertainty)
                );
                click_row(ui, selection.is_selected(target), text, target, actions);
            }
        });
    egui::CollapsingHeader::new(format!("Lines of sight ({})", case.sight_lines.len()))
        .default_open(true)
        .show(ui, |ui| {
            if case.sight_lines.is_empty() {
                ui.weak("None yet: use Line of sight in the tool bar.");
            }
            for (i, s) in case.sight_lines.iter().enumerate() {
                let target = Target::Sight(i);
                let verdict = if s.visible { "visible" } else { "BLOCKED" };
                let text = format!(
                    "{}  {}{verdict} over {:.1} m",
                    s.id,
                    if s.label.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", s.label)
                    },
                    s.observer.distance(s.target)
                );
                click_row(ui, selection.is_selected(target), text, target, actions);
            }
        });
}

fn click_row(
    ui: &mut egui::Ui,
    selected: bool,
    text: String,
    target: Target,
    actions: &mut Vec<UiAction>,
) {
    if ui.selectable_label(selected, text).clicked() {
        if ui.input(|i| i.modifiers.ctrl || i.modifiers.command) {
            actions.push(UiAction::Toggle(target));
        } else {
            actions.push(UiAction::Focus(target));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches_text;

    #[test]
    fn text_filter_matches_every_word_anywhere() {
        assert!(matches_text("", &["x"]));
        assert!(matches_text("van grey", &["V1", "Grey van parked"]));
        assert!(!matches_text("van red", &["V1", "Grey van parked"]));
        assert!(matches_text("ballistics", &["I1", "Impact", "ballistics"]));
    }
}
