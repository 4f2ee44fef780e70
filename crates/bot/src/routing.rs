//! Where answers go (DESIGN.md "Where answers go").
//!
//! In a 1:1 space everything is answered there. In a group space only `help` and answers that
//! reveal nothing about anyone's licenses (unknown command, range errors, refusals) are answered
//! in place; anything about a person's licenses or sign-in goes to that person's 1:1 space
//! (`toPersonId`), with a short note in the group. A command sent in a thread is answered in
//! that thread.

/// The kind of space a message was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomType {
    Direct,
    Group,
}

impl RoomType {
    /// Webex's `roomType` value; anything but `direct` is treated as a group (the safe choice).
    pub fn from_webex(value: Option<&str>) -> Self {
        match value {
            Some("direct") => RoomType::Direct,
            _ => RoomType::Group,
        }
    }
}

/// Whether an answer may be shown to everyone in the space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    /// Help, grammar errors, the access-policy refusal: safe in any space.
    Public,
    /// Reports, exports, sign-in links, sign-out and confirm results: the person only.
    Personal,
}

/// Where to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The space the message came from, in its thread if it had one.
    Room {
        room_id: String,
        parent_id: Option<String>,
    },
    /// The person's 1:1 space with the bot (created if needed).
    Person { person_id: String },
}

/// The plan for one answer: where it goes, and the note to leave in the group, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub target: Target,
    pub group_note: Option<Target>,
}

/// The note left in a group space when the answer went to the 1:1 space.
pub const GROUP_NOTE: &str = "I sent you the answer in our 1:1 space.";

/// Decides where an answer goes.
pub fn route(
    room_type: RoomType,
    privacy: Privacy,
    room_id: &str,
    person_id: &str,
    parent_id: Option<&str>,
) -> Route {
    // `parentId` is set only on replies inside a thread; answering with it keeps the answer
    // in that thread. A top-level message gets a top-level answer.
    let here = Target::Room {
        room_id: room_id.to_string(),
        parent_id: parent_id.map(String::from),
    };
    match (room_type, privacy) {
        (RoomType::Direct, _) | (RoomType::Group, Privacy::Public) => Route {
            target: here,
            group_note: None,
        },
        (RoomType::Group, Privacy::Personal) => Route {
            target: Target::Person {
                person_id: person_id.to_string(),
            },
            group_note: Some(here),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_asked_in_a_group_goes_to_the_persons_one_to_one_space_with_a_note() {
        let r = route(RoomType::Group, Privacy::Personal, "G", "P", None);
        assert_eq!(
            r.target,
            Target::Person {
                person_id: "P".into()
            }
        );
        assert_eq!(
            r.group_note,
            Some(Target::Room {
                room_id: "G".into(),
                parent_id: None
            })
        );
    }

    #[test]
    fn help_asked_in_a_group_is_answered_in_place() {
        let r = route(RoomType::Group, Privacy::Public, "G", "P", None);
        assert_eq!(
            r.target,
            Target::Room {
                room_id: "G".into(),
                parent_id: None
            }
        );
        assert_eq!(r.group_note, None);
    }

    #[test]
    fn a_report_asked_in_a_one_to_one_space_is_answered_there() {
        let r = route(RoomType::Direct, Privacy::Personal, "D", "P", None);
        assert_eq!(
            r.target,
            Target::Room {
                room_id: "D".into(),
                parent_id: None
            }
        );
    }

    #[test]
    fn a_command_inside_a_thread_is_answered_in_that_thread() {
        let r = route(RoomType::Direct, Privacy::Personal, "D", "P", Some("ROOT"));
        assert_eq!(
            r.target,
            Target::Room {
                room_id: "D".into(),
                parent_id: Some("ROOT".into())
            }
        );
        let r = route(RoomType::Group, Privacy::Personal, "G", "P", Some("ROOT"));
        assert_eq!(
            r.group_note,
            Some(Target::Room {
                room_id: "G".into(),
                parent_id: Some("ROOT".into())
            })
        );
    }

    #[test]
    fn an_unknown_room_type_is_treated_as_a_group() {
        assert_eq!(RoomType::from_webex(None), RoomType::Group);
        assert_eq!(RoomType::from_webex(Some("direct")), RoomType::Direct);
    }
}
