//! Integration tests of the CSSM client against a scriptable fake CSSM on 127.0.0.1:0.

mod fetch;
mod fuzz;
mod pagination;
mod retry;
mod secrets;
mod support;
