"""The search table and its SQL, one class per database vendor.

- SQLite: an FTS5 virtual table with the ``trigram`` tokenizer (SQLite >= 3.34), whose
  rowid is the post's id. Trigrams match any substring of three characters or more,
  in any script, so Chinese needs nothing more.
- MariaDB/MySQL: an InnoDB table with a FULLTEXT index on ``terms``, the words our code
  made (``text.index_terms``: CJK runs as overlapping bigrams, what MySQL's ``ngram``
  parser does, which MariaDB lacks). Made with stopwords off, so "about" is a word.
- Any other database: the same table without an index, searched with LIKE only.

Terms too short for the index (one or two characters) are searched with LIKE over
the ``SHORT_QUERY_POSTS`` newest published posts only, so the work stays bounded.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from .text import MIN_INDEXED_CHARS, SearchQuery, boolean_query, index_terms, term_tokens

TABLE = "blog_postsearch"
SHORT_QUERY_POSTS = 1000
TITLE_WEIGHT = 3  # MariaDB/MySQL: the title's terms are stored this many times
TAGS_WEIGHT = 2


@dataclass(frozen=True)
class Document:
    post_id: int
    title: str
    body: str
    tags: str


class Backend:
    id_column = "post_id"
    join = "JOIN"

    # SCHEMA
    def create(self, cursor) -> None:
        cursor.execute(
            f"CREATE TABLE {TABLE} (post_id bigint NOT NULL PRIMARY KEY, "
            "title text NOT NULL, body text NOT NULL, tags text NOT NULL, terms text NOT NULL)"
        )

    def drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")

    # WRITES
    def delete(self, cursor, post_ids: list[int]) -> None:
        if post_ids:
            marks = ", ".join(["%s"] * len(post_ids))
            cursor.execute(f"DELETE FROM {TABLE} WHERE {self.id_column} IN ({marks})", post_ids)

    def insert(self, cursor, documents: list[Document]) -> None:
        if not documents:
            return
        columns, rows = self.columns(), [self.row(doc) for doc in documents]
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        cursor.execute(
            f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES " + ", ".join([marks] * len(rows)),
            [value for row in rows for value in row],
        )

    def columns(self) -> list[str]:
        return [self.id_column, "title", "body", "tags", "terms"]

    def row(self, doc: Document) -> list:
        terms = index_terms(*[doc.title] * TITLE_WEIGHT, *[doc.tags] * TAGS_WEIGHT, doc.body)
        return [doc.post_id, doc.title, doc.body, doc.tags, terms]

    # READS
    def indexed_terms(self, query: SearchQuery) -> tuple[str, ...]:
        """The terms the index can find; when none, the query is searched with LIKE."""
        return ()

    def match(self, query: SearchQuery) -> tuple[str, list, str, list]:
        """``(where, params, order by, params)`` of a query with indexed terms."""
        raise NotImplementedError

    def _published(self) -> tuple[str, list]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        return "p.is_draft = %s AND p.publish_date <= %s", [False, now]

    def _from(self, query: SearchQuery) -> tuple[str, list, str, list]:
        """FROM and WHERE, ORDER BY, and their parameters."""
        published, params = self._published()
        if self.indexed_terms(query):
            where, where_params, order, order_params = self.match(query)
            sql = (
                f"FROM {TABLE} {self.join} blog_post p ON p.id = {TABLE}.{self.id_column} "
                f"WHERE {where} AND {published}"
            )
            return sql, [*where_params, *params], order, order_params
        # Short terms: LIKE over the newest published posts only.
        likes = " AND ".join(
            f"({TABLE}.title LIKE %s OR {TABLE}.body LIKE %s OR {TABLE}.tags LIKE %s)"
            for _ in query.terms
        )
        sql = (
            f"FROM (SELECT p.id, p.publish_date FROM blog_post p WHERE {published} "
            f"ORDER BY p.publish_date DESC, p.id DESC LIMIT {SHORT_QUERY_POSTS}) p "
            f"{self.join} {TABLE} ON {TABLE}.{self.id_column} = p.id WHERE {likes}"
        )
        like_params = [f"%{term}%" for term in query.terms for _ in range(3)]
        return sql, [*params, *like_params], "p.publish_date DESC, p.id DESC", []

    def count(self, cursor, query: SearchQuery) -> int:
        sql, params, _, _ = self._from(query)
        cursor.execute(f"SELECT COUNT(*) {sql}", params)
        return cursor.fetchone()[0]

    def page(self, cursor, query: SearchQuery, *, offset: int, limit: int) -> list[tuple]:
        """``(post id, body)`` of the page's matches, best first."""
        sql, params, order, order_params = self._from(query)
        cursor.execute(
            f"SELECT {TABLE}.{self.id_column}, {TABLE}.body {sql} ORDER BY {order} "
            "LIMIT %s OFFSET %s",
            [*params, *order_params, limit, offset],
        )
        return cursor.fetchall()


class SQLiteBackend(Backend):
    id_column = "rowid"
    # The matches first, then their posts by primary key: left to itself the planner
    # walked the posts' is_draft index and ran the MATCH once per post (0.4 s for a
    # word found nowhere at 10,000 posts). SQLite never reorders a CROSS JOIN.
    join = "CROSS JOIN"

    def create(self, cursor) -> None:
        if sqlite3.sqlite_version_info < (3, 34):
            raise RuntimeError(
                f"Search needs SQLite 3.34 or later (FTS5's trigram tokenizer); this Python "
                f"has SQLite {sqlite3.sqlite_version}."
            )
        cursor.execute(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, body, tags, tokenize='trigram')"
        )

    def columns(self) -> list[str]:
        return ["rowid", "title", "body", "tags"]

    def row(self, doc: Document) -> list:
        return [doc.post_id, doc.title, doc.body, doc.tags]

    def indexed_terms(self, query: SearchQuery) -> tuple[str, ...]:
        return tuple(t for t in query.terms if len(t) >= MIN_INDEXED_CHARS)

    def match(self, query: SearchQuery) -> tuple[str, list, str, list]:
        # Every term a quoted FTS5 string (terms hold letters and digits only), so
        # AND, OR, NOT and NEAR are words; the strings are ANDed.
        expression = " ".join(f'"{term}"' for term in self.indexed_terms(query))
        order = f"bm25({TABLE}, 3.0, 1.0, 2.0), p.publish_date DESC, p.id DESC"
        return f"{TABLE} MATCH %s", [expression], order, []


class MySQLBackend(Backend):
    def create(self, cursor) -> None:
        # Without stopwords: "about" or "when" are search terms like any other.
        cursor.execute("SET SESSION innodb_ft_enable_stopword = OFF")
        cursor.execute(
            f"CREATE TABLE {TABLE} ("
            "post_id bigint NOT NULL PRIMARY KEY, "
            "title varchar(200) NOT NULL, body longtext NOT NULL, tags longtext NOT NULL, "
            "terms longtext NOT NULL, "
            f"FULLTEXT KEY {TABLE}_terms (terms), "
            f"CONSTRAINT {TABLE}_post FOREIGN KEY (post_id) REFERENCES blog_post (id) "
            "ON DELETE CASCADE"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
        )
        cursor.execute("SET SESSION innodb_ft_enable_stopword = DEFAULT")

    def indexed_terms(self, query: SearchQuery) -> tuple[str, ...]:
        return tuple(t for t in query.terms if term_tokens(t))

    def match(self, query: SearchQuery) -> tuple[str, list, str, list]:
        against = boolean_query(query)
        match = f"MATCH({TABLE}.terms) AGAINST (%s IN BOOLEAN MODE)"
        return match, [against], f"{match} DESC, p.publish_date DESC, p.id DESC", [against]


def backend() -> Backend:
    return {"sqlite": SQLiteBackend, "mysql": MySQLBackend}.get(connection.vendor, Backend)()
