"""The API described as OpenAPI 3.1, for a WPS add-in or a collection system calling ``xlcheck serve``.

Written by hand rather than generated: the report JSON is :meth:`xlcheck.Report.to_dict`, and the
limits come from the running server's settings, so the document says what this server accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import ServeSettings

_SUGGESTION = {
    "type": "object",
    "properties": {"cell": {"type": "string", "examples": ["Sheet1!D58"]},
                   "current": {"type": ["number", "null"]}, "suggested": {"type": "number"},
                   "rules": {"type": "array", "items": {"type": "string"}}},
}
_FINDING = {
    "type": "object", "required": ["rule", "severity", "message", "cells"],
    "properties": {
        "rule": {"type": "string", "examples": ["T3-RES"]},
        "severity": {"enum": ["error", "warning", "info"]},
        "message": {"type": "string", "description": "in the report's own words (Chinese)"},
        "cells": {"type": "array", "items": {"type": "string"},
                  "description": "Sheet!A1; empty for a whole-workbook finding"},
        "where": {"type": "string", "description": "only for findings on published text"},
    },
}
_REPORT = {
    "type": "object", "required": ["path", "format", "year", "findings"],
    "properties": {
        "path": {"type": "string", "description": "the uploaded file's name"},
        "format": {"enum": ["2019", "2021", None]}, "year": {"type": ["integer", "null"]},
        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
        "error": {"type": "string", "description": "why the file could not be checked (Chinese, then English)"},
        "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
        "candidates": {"type": "array",
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}}},
    },
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _upload(many: bool) -> dict[str, Any]:
    files: dict[str, Any] = {"type": "array", "items": {"type": "string", "format": "binary"}} if many else \
        {"type": "string", "format": "binary"}
    return {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["files"],
        "properties": {"files": files,
                       "rules": {"type": "string", "description": "rule set name (GET /api/rules)"},
                       "year": {"type": "integer", "description": "report year, overriding the workbook's"}}}}}}


def _refusals(settings: ServeSettings) -> dict[str, Any]:
    def error(text: str) -> dict[str, Any]:
        return {"description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

    return {
        "400": error("no file, a file outside the field files, an unknown rule set, a bad year, a malformed body"),
        "413": error(f"the body is larger than {settings.max_upload_mb:g} MB, or more than {settings.max_files} files"),
        "415": error("the body is not multipart/form-data"),
        "503": error("every worker is busy and the waiting line is full; retry after Retry-After seconds"),
    }


def _workbook(text: str) -> dict[str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"description": text, "content": {XLSX: binary}}


def document(settings: ServeSettings) -> dict[str, Any]:
    from .. import __version__

    refusals = _refusals(settings)
    unreadable = {"422": {"description": "a file could not be checked (the body says why), or the check "
                                         f"overran {settings.pool.timeout:g} s",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    reports = {"application/json": {"schema": {"type": "object", "properties": {
        "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "xlcheck serve", "version": __version__,
                 "description": "Checks government information disclosure annual report workbooks. No "
                                "authentication is built in: the server is meant for loopback or an internal "
                                "network. Nothing uploaded is kept."},
        "paths": {
            "/api/check": {"post": {
                "summary": "Check workbooks; the body is what `xlcheck check --format json --no-annotate` prints",
                "requestBody": _upload(True),
                "responses": {"200": {"description": "every file was checked", "content": reports},
                              "422": {"description": "some file could not be checked: the same body, that "
                                                     "report carrying `error`", "content": reports},
                              **refusals}}},
            "/api/annotate": {"post": {"summary": "The annotated copy of one workbook (NAME.checked.xlsx)",
                                       "requestBody": _upload(False),
                                       "responses": {"200": _workbook("the annotated copy"), **unreadable,
                                                     **refusals}}},
            "/api/clean": {"post": {"summary": "One workbook with every xlcheck mark removed",
                                    "requestBody": _upload(False),
                                    "responses": {"200": _workbook("the cleaned copy"), **unreadable, **refusals}}},
            "/api/summary": {"post": {"summary": "The reviewer's summary workbook of several workbooks",
                                      "requestBody": _upload(True),
                                      "responses": {"200": _workbook("校验汇总.xlsx"), **refusals}}},
            "/api/preview": {"post": {
                "summary": "What the page shows for one workbook: its report and tables 三 and 四 with marks",
                "requestBody": _upload(False),
                "responses": {"200": {"description": (
                    "{report, verdict, described, labels, tables}: each table {table, title, sheet, first_row, "
                    "rows}, a row a list of cells (null where a merged area covers it), a cell {ref, text, "
                    "rowspan?, colspan?, mark? (error|warning|info), note?, suspect? (a cell of the unique "
                    "smallest fix, drawn in marks.css's .mark-suspect), suggested? (the value the tables call "
                    "for), candidate? (a cell of one of several equally small fixes)}")},
                    **unreadable, **refusals}}},
            "/api/rules": {"get": {"summary": "The installed rule sets and their rules",
                                   "responses": {"200": {"description": "{default, rulesets}"}}}},
            "/api/plugins": {"get": {"summary": "The loaded plugins",
                                     "responses": {"200": {"description": "{plugins}"}}}},
            "/api/limits": {"get": {"summary": "This server's limits",
                                    "responses": {"200": {
                                        "description": "{max_upload_mb, max_files, timeout, rules}"}}}},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "{status: ok}"}}}},
        },
        "components": {"schemas": {"Report": _REPORT, "Finding": _FINDING, "Suggestion": _SUGGESTION,
                                   "Error": _ERROR}},
    }
