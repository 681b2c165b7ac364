"""The OpenAPI 3.1 document of /api/v1, built from the service's dataclasses (schema.py)."""

from __future__ import annotations

from typing import Any

from bot.slips.views import ActionSpec, EventView, SlipSummary, SlipView, Workbench
from handlers.api.schema import SchemaBuilder
from handlers.console.deliveries import Delivery
from handlers.console.filters import FILTER_FIELDS, LIGHTS, MAX_PAGE

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
            "required": ["code", "message", "field"],
        }
    },
    "required": ["error"],
}

FILTER_DOCS = {
    "status": "状态代码（如 dispatched），或 open / closed",
    "department": "主办单位代码（承办人只能看到本部门的交办单）",
    "urgency": "特急 / 紧急 / 一般",
    "area": "街镇或社区名称（如 观音桥街道）",
    "category": "一级类别",
    "date_from": "受理日期起（含），YYYY-MM-DD",
    "date_to": "受理日期止（含），YYYY-MM-DD",
    "q": "全文搜索：诉求内容、地点、单号、电话",
    "light": "green / yellow / red",
}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: ("字段有误（error.field 指出哪个字段）；不能恢复的操作（如撤销）缺少 "
              "\"confirm\": true 时 error.code 为 confirmation_required，error.field 为 confirm"),
        401: "没有登录或令牌无效",
        403: "没有权限（不在本部门范围、令牌只读、或缺少 CSRF 头）",
        404: "没有这张交办单",
        409: "版本冲突（version_conflict）或当前状态不能进行这个操作（transition_not_allowed）",
    }
    return {
        str(s): {
            "description": text[s],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for s in statuses
    }


def _ok(schema: dict[str, Any], description: str = "成功") -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _wrapped(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: {"type": "array", "items": item}},
        "required": [key],
        "additionalProperties": False,
    }


NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "交办单号（如 JB2026112500017）或内部 id",
    "schema": {"type": "string"},
}


def build_openapi(action_codes: list[str], state_codes: list[str]) -> dict[str, Any]:
    schemas = SchemaBuilder()
    slip = schemas.ref(SlipView)
    summary = schemas.ref(SlipSummary)
    event = schemas.ref(EventView)
    # state codes come from the workflow (knowledge/workflow.yaml): a client can switch on them
    for name, fields in ((SlipView, ("status",)), (SlipSummary, ("status",)),
                         (EventView, ("from_status", "to_status"))):
        properties = schemas.components[name.__name__]["properties"]
        for field in fields:
            nullable = "null" in properties[field].get("type", [])
            properties[field]["enum"] = [*state_codes, *([None] if nullable else [])]
    spec = schemas.ref(ActionSpec)
    workbench = schemas.ref(Workbench)
    delivery = schemas.ref(Delivery)
    schemas.components["Error"] = ERROR
    schemas.components["Member"] = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "role": {"type": "string", "enum": ["dispatcher", "handler", "supervisor", "admin"]},
            "role_label": {"type": "string"},
            "department": {"type": ["string", "null"]},
            "active": {"type": "boolean"},
            "token_scope": {"type": ["string", "null"], "enum": ["read", "write", None]},
        },
        "required": ["id", "username", "display_name", "role", "department", "active"],
    }
    schemas.components["SlipPage"] = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": summary},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "total_exact": {"type": "boolean"},
            "pages": {"type": "integer", "minimum": 1},
        },
        "required": ["items", "page", "per_page", "total", "total_exact", "pages"],
        "additionalProperties": False,
    }
    schemas.components["ActionRequest"] = {
        "type": "object",
        "properties": {
            "note": {"type": ["string", "null"], "description": "说明、答复内容、理由等"},
            "data": {
                "type": "object",
                "description": "动作的其他字段（见 actions 接口的 fields）",
            },
            "expected_version": {
                "type": ["integer", "null"],
                "description": "读取时的 version；已被别人修改则返回 409",
            },
            "confirm": {
                "type": "boolean",
                "description": (
                    "不能恢复的操作（actions 接口中 confirm 不为空的，如撤销 withdraw）必须为 "
                    "true，表示已核实并确认那句话；缺少时返回 400，error.code 为 "
                    "confirmation_required。其他操作可以不带"
                ),
            },
        },
        "additionalProperties": False,
    }
    schemas.components["Message"] = {
        "type": "object",
        "properties": {
            "direction": {"type": "string", "enum": ["in", "out"]},
            "channel": {"type": "string"},
            "msg_type": {"type": "string"},
            "event": {"type": ["string", "null"]},
            "content": {"type": ["string", "null"]},
            "at": {"type": "string", "format": "date-time"},
        },
        "required": ["direction", "channel", "msg_type", "event", "content", "at"],
        "additionalProperties": False,
    }
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    list_params = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "allowEmptyValue": True,  # an empty value is no filter (what an HTML form sends)
            "description": FILTER_DOCS[name]
            + ("；状态代码：" + "、".join(state_codes) if name == "status" else ""),
            "schema": {
                "type": "string",
                **({"format": "date"} if name.startswith("date") else {}),
                **({"enum": list(LIGHTS)} if name == "light" else {}),
                **({"enum": [*state_codes, "open", "closed"]} if name == "status" else {}),
            },
        }
        for name in FILTER_FIELDS
    ] + [
        {
            "name": "page",
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        },
        {
            "name": "per_page",
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "民意交办 API",
            "version": "1",
            "description": (
                "交办单的查询与办理。认证：`Authorization: Bearer <令牌>`（管理员在控制台"
                "“用户管理”中创建；令牌以其账号的身份和范围办事，只读令牌不能办理），或同源页面"
                "使用控制台登录会话（此时 POST 需带 `X-CSRF-Token` 头）。承办人只能看到本部门的"
                "交办单，其他交办单返回 403。"
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "__Host-minyi_session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "本文档",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1 文档"}},
                }
            },
            "/me": {
                "get": {
                    "summary": "当前账号",
                    "responses": {**_ok(ref("Member")), **_errors(401)},
                }
            },
            "/workbench": {
                "get": {
                    "summary": "工作台：待签收、临期、超期、待派单、待审批延期",
                    "responses": {**_ok(workbench), **_errors(401)},
                }
            },
            "/slips": {
                "get": {
                    "summary": "交办单列表（筛选、搜索、分页）",
                    "parameters": list_params,
                    "responses": {**_ok(ref("SlipPage")), **_errors(400, 401)},
                }
            },
            "/slips/{number}": {
                "get": {
                    "summary": "一张交办单",
                    "parameters": [NUMBER],
                    "responses": {**_ok(slip), **_errors(401, 403, 404)},
                }
            },
            "/slips/{number}/timeline": {
                "get": {
                    "summary": "办理过程（审计事件，哈希链）",
                    "parameters": [NUMBER],
                    "responses": {**_ok(_wrapped("events", event)), **_errors(401, 403, 404)},
                }
            },
            "/slips/{number}/actions": {
                "get": {
                    "summary": "当前账号现在可以进行的操作及其字段",
                    "parameters": [NUMBER],
                    "responses": {**_ok(_wrapped("actions", spec)), **_errors(401, 403, 404)},
                }
            },
            "/slips/{number}/actions/{action}": {
                "post": {
                    "summary": "办理：签收、答复、改派、退单、延期、办结、重办、合并等",
                    "description": (
                        "字段见 actions 接口（required 为必填）。撤销（withdraw）等不能恢复的操作"
                        "要填写理由（note），并带 \"confirm\": true，例如 "
                        "`{\"note\": \"居民来电说明已自行解决\", \"confirm\": true}`。"
                    ),
                    "parameters": [
                        NUMBER,
                        {
                            "name": "action",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": action_codes},
                        },
                    ],
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": ref("ActionRequest")}},
                    },
                    "responses": {
                        **_ok(slip, "办理后的交办单"),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
            "/slips/{number}/notifications": {
                "get": {
                    "summary": "这张交办单发给群众的通知及送达情况",
                    "parameters": [NUMBER],
                    "responses": {
                        **_ok(_wrapped("notifications", delivery)),
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/slips/{number}/transcript": {
                "get": {
                    "summary": "群众与公众号的对话记录",
                    "parameters": [NUMBER],
                    "responses": {
                        **_ok(_wrapped("messages", ref("Message"))),
                        **_errors(401, 403, 404),
                    },
                }
            },
        },
    }
