//! What the unit tests of several modules build their cases from.

use crate::Usage;

/// Token counts as the API reports them: input, output, cache read, cache write.
pub(crate) fn usage(input: u64, output: u64, read: u64, write: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_input_tokens: read,
        cache_creation_input_tokens: write,
        ..Usage::default()
    }
}
