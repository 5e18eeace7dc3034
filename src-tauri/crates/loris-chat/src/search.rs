//! Full-text search over thread titles and message text (SQLite FTS5, kept in step by the
//! triggers of migration 4). The user's words are quoted, so FTS5 syntax in them (`AND`, `*`,
//! `"`, `:`) is searched for as text rather than interpreted; the last word also matches as a
//! prefix, so results appear while typing.

use crate::error::Result;
use crate::threads::ChatStore;
use crate::types::SearchHit;

/// Words of context around a hit in a snippet.
const SNIPPET_TOKENS: i64 = 12;

impl ChatStore {
    /// Titles first, then messages, each best match first; at most `limit` hits.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(fts_query) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.store.conn();
        let mut hits = Vec::new();
        let mut titles = conn.prepare_cached(
            "SELECT t.id, snippet(chat_thread_fts, 0, '[', ']', '…', ?2)
             FROM chat_thread_fts JOIN chat_threads t ON t.seq = chat_thread_fts.rowid
             WHERE chat_thread_fts MATCH ?1 ORDER BY bm25(chat_thread_fts) LIMIT ?3",
        )?;
        for hit in titles.query_map(rusqlite::params![fts_query, SNIPPET_TOKENS, limit], |row| {
            Ok(SearchHit {
                thread_id: row.get(0)?,
                message_id: None,
                snippet: row.get(1)?,
            })
        })? {
            hits.push(hit?);
        }
        let mut messages = conn.prepare_cached(
            "SELECT m.thread_id, m.id, snippet(chat_message_fts, 0, '[', ']', '…', ?2)
             FROM chat_message_fts JOIN chat_messages m ON m.seq = chat_message_fts.rowid
             WHERE chat_message_fts MATCH ?1 ORDER BY bm25(chat_message_fts) LIMIT ?3",
        )?;
        let left = limit - hits.len() as i64;
        for hit in
            messages.query_map(rusqlite::params![fts_query, SNIPPET_TOKENS, left], |row| {
                Ok(SearchHit {
                    thread_id: row.get(0)?,
                    message_id: Some(row.get(1)?),
                    snippet: row.get(2)?,
                })
            })?
        {
            hits.push(hit?);
        }
        Ok(hits)
    }
}

/// The user's words as an FTS5 query: each a quoted string (all must match), the last one a
/// prefix. `None` when there is nothing to search for.
fn fts_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut out = rest.join(" ");
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(last);
    out.push('*');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_the_last_is_a_prefix() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("capital fra").unwrap(), "\"capital\" \"fra\"*");
        assert_eq!(fts_query("a\"b OR").unwrap(), "\"a\"\"b\" \"OR\"*");
    }
}
