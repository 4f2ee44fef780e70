//! Contents: the files shared in messages, for members of their room.

use crate::error::ApiError;
use crate::state::SimState;

impl SimState {
    /// A stored file, for a member of the room it was shared in.
    pub(crate) fn file_for(
        &self,
        viewer: &str,
        id: &str,
    ) -> Result<(String, String, bytes::Bytes), ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        match w.file(id) {
            Some(f) if w.is_member(&f.room_id, viewer) => {
                Ok((f.filename.clone(), f.content_type.clone(), f.bytes.clone()))
            }
            _ => Err(ApiError::not_found("file")),
        }
    }
}
