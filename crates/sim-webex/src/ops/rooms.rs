//! Rooms: group rooms, the direct room of two people (created on first use), and the rooms a
//! person sees.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{event, person_not_found, room_not_found};
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::model::{Membership, Person, Room, RoomType};
use crate::state::{Shared, SimState};

/// The direct room of `a` and `b`, created (with its `roomCreated` event) when missing.
pub(super) fn ensure_direct(
    shared: &mut Shared,
    a: &str,
    b: &str,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    if let Some(room) = shared.world.direct_room(a, b) {
        return Ok(room.id.clone());
    }
    let world = &mut shared.world;
    let room = Room {
        id: ids::new_id(Kind::Room),
        title: String::new(),
        kind: RoomType::Direct,
        creator_id: a.to_owned(),
        created: now,
        last_activity: now,
    };
    let room_id = room.id.clone();
    world.rooms.push(room);
    for person in [a, b] {
        world.memberships.push(Membership {
            id: ids::new_id(Kind::Membership),
            room_id: room_id.clone(),
            person_id: person.to_owned(),
            is_moderator: false,
            created: now,
        });
    }
    world.next_seq();
    let ev = event(world, "roomCreated", &room_id);
    shared.live.push_event(ev);
    Ok(room_id)
}

impl SimState {
    /// Creates a group room with `creator` (moderator) and `others` as members.
    pub(crate) fn create_group_room(
        &self,
        creator: &str,
        title: &str,
        others: &[String],
    ) -> Result<Value, ApiError> {
        if title.trim().is_empty() {
            return Err(ApiError::bad("title must not be empty."));
        }
        let now = self.now();
        self.write(|s| {
            for p in std::iter::once(creator).chain(others.iter().map(String::as_str)) {
                if s.world.person(p).is_none() {
                    return Err(person_not_found());
                }
            }
            let room = Room {
                id: ids::new_id(Kind::Room),
                title: title.to_owned(),
                kind: RoomType::Group,
                creator_id: creator.to_owned(),
                created: now,
                last_activity: now,
            };
            let room_id = room.id.clone();
            s.world.rooms.push(room);
            let mut members: Vec<&str> = vec![creator];
            for o in others {
                if !members.contains(&o.as_str()) {
                    members.push(o);
                }
            }
            for (i, p) in members.iter().enumerate() {
                s.world.memberships.push(Membership {
                    id: ids::new_id(Kind::Membership),
                    room_id: room_id.clone(),
                    person_id: (*p).to_owned(),
                    is_moderator: i == 0,
                    created: now,
                });
            }
            s.world.next_seq();
            let ev = event(&s.world, "roomCreated", &room_id);
            s.live.push_event(ev);
            let room = s.world.room(&room_id).ok_or_else(room_not_found)?;
            Ok(s.world.render_room(room, creator))
        })
    }

    /// The direct room of two people (created when missing), as `a` sees it.
    pub(crate) fn direct_room_json(&self, a: &str, b: &str) -> Result<Value, ApiError> {
        if a == b {
            return Err(ApiError::bad("A direct room needs two different people."));
        }
        let now = self.now();
        self.write(|s| {
            if s.world.person(a).is_none() || s.world.person(b).is_none() {
                return Err(person_not_found());
            }
            let id = ensure_direct(s, a, b, now)?;
            let room = s.world.room(&id).ok_or_else(room_not_found)?;
            Ok(s.world.render_room(room, a))
        })
    }

    /// Rooms `viewer` is in, most recently active first, optionally of one type.
    pub(crate) fn rooms_json(&self, viewer: &str, kind: Option<RoomType>) -> Vec<Value> {
        let shared = self.lock();
        let w = &shared.world;
        let mut rooms: Vec<&Room> = w
            .rooms
            .iter()
            .filter(|r| w.is_member(&r.id, viewer) && kind.is_none_or(|k| r.kind == k))
            .collect();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.last_activity));
        rooms.iter().map(|r| w.render_room(r, viewer)).collect()
    }

    pub(crate) fn room_json(&self, viewer: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        match w.room(id) {
            Some(r) if w.is_member(id, viewer) => Ok(w.render_room(r, viewer)),
            _ => Err(room_not_found()),
        }
    }

    /// Rooms of a person with their members (control API, for the web chat's room list).
    pub(crate) fn person_rooms_json(&self, person: &str) -> Result<Vec<Value>, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        if w.person(person).is_none() {
            return Err(person_not_found());
        }
        let mut rooms: Vec<&Room> = w
            .rooms
            .iter()
            .filter(|r| w.is_member(&r.id, person))
            .collect();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.last_activity));
        Ok(rooms
            .into_iter()
            .map(|r| {
                let mut v = w.render_room(r, person);
                let members: Vec<Value> = w
                    .members(&r.id)
                    .filter_map(|m| w.person(&m.person_id))
                    .map(Person::render)
                    .collect();
                v["members"] = Value::Array(members);
                v
            })
            .collect())
    }
}
