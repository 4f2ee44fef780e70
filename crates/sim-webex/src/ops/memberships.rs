//! Memberships: who is in which room, and adding people to group rooms.

use serde_json::Value;

use super::{event, person_not_found, room_not_found, Dest};
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::model::{Membership, RoomType};
use crate::state::SimState;

impl SimState {
    /// Memberships `viewer` may see: of one room (viewer a member), else the viewer's own.
    pub(crate) fn memberships_json(
        &self,
        viewer: &str,
        room_id: Option<&str>,
        person_id: Option<&str>,
        person_email: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        if let Some(r) = room_id {
            if w.room(r).is_none() || !w.is_member(r, viewer) {
                return Err(room_not_found());
            }
        } else if person_id.is_some() || person_email.is_some() {
            return Err(ApiError::bad(
                "personId and personEmail filters require roomId.",
            ));
        }
        let email_id = person_email.map(|e| w.person_by_email(e).map(|p| p.id.clone()));
        Ok(w.memberships
            .iter()
            .filter(|m| match room_id {
                Some(r) => m.room_id == r,
                None => m.person_id == viewer,
            })
            .filter(|m| person_id.is_none_or(|p| m.person_id == p))
            .filter(|m| match &email_id {
                None => true,
                Some(Some(id)) => &m.person_id == id,
                Some(None) => false,
            })
            .map(|m| w.render_membership(m))
            .collect())
    }

    /// Adds a person to a group room `actor` is in; a second membership is a 409.
    pub(crate) fn add_membership(
        &self,
        actor: &str,
        room_id: &str,
        person: &Dest,
        is_moderator: bool,
    ) -> Result<Value, ApiError> {
        let now = self.now();
        self.write(|s| {
            let w = &s.world;
            let room = match w.room(room_id) {
                Some(r) if w.is_member(room_id, actor) => r,
                _ => return Err(room_not_found()),
            };
            if room.kind == RoomType::Direct {
                return Err(ApiError::bad("People cannot be added to a direct room."));
            }
            let person_id = match person {
                Dest::PersonId(id) => w.person(id).map(|p| p.id.clone()),
                Dest::PersonEmail(e) => w.person_by_email(e).map(|p| p.id.clone()),
                Dest::Room(_) => None,
            }
            .ok_or_else(person_not_found)?;
            if w.is_member(room_id, &person_id) {
                return Err(ApiError::Conflict(
                    "The person is already a member of this room.".into(),
                ));
            }
            let m = Membership {
                id: ids::new_id(Kind::Membership),
                room_id: room_id.to_owned(),
                person_id,
                is_moderator,
                created: now,
            };
            let json = s.world.render_membership(&m);
            s.world.memberships.push(m);
            s.world.next_seq();
            let ev = event(&s.world, "membershipCreated", room_id);
            s.live.push_event(ev);
            Ok(json)
        })
    }
}
