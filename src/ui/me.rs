//! Who is looking, asked once per page load and shared: the top bar and the pages show only
//! what this visitor's role may see (the server refuses the rest anyway).

use crate::permissions::{Me, Permission};
use crate::ui::data::whoami;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct MeCtx(OnceResource<Result<Me, ServerFnError>>);

impl MeCtx {
    pub fn provide() {
        provide_context(MeCtx(OnceResource::new(whoami())));
    }

    pub fn use_ctx() -> MeCtx {
        use_context::<MeCtx>().unwrap_or_else(|| {
            let me = MeCtx(OnceResource::new(whoami()));
            provide_context(me);
            me
        })
    }

    /// The visitor (an anonymous visitor without a role when the question failed).
    pub async fn get(self) -> Me {
        self.0.await.unwrap_or_default()
    }

    /// Whether the visitor holds `perm`.
    pub async fn can(self, perm: Permission) -> bool {
        self.get().await.can(perm)
    }
}
