//! A recorded session written out: a printable HTML report ([`page`]) with
//! a chart of SUDS over time drawn as SVG ([`chart`]), a CSV table or JSON
//! ([`data`]). The same record gives the same bytes (times come from the
//! record, never from the clock).

mod amended;
mod chart;
mod data;
mod dates;
mod markup;
mod page;
mod progress;
mod progress_page;
mod spans;

pub(crate) use amended::amended;
pub use data::csv;
pub(crate) use data::json;
pub(super) use dates::length;
pub use dates::utc;
pub use page::html;
pub use progress::{Progress, progress, progress_csv, progress_json};
pub use progress_page::progress_html;
