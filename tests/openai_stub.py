"""An OpenAI-compatible chat-completions server for tests, on tests.local_server (real sockets).

The real `openai` client talks to it; each test decides what the "model" answers.
"""

from __future__ import annotations

import json
import time

from tests.local_server import RecordedRequest, Reply

GOOD_DRAFT = {
    "title_zh": "基于预测熵的零样本音频分类提示加权",
    "abstract_zh": "音频-语言模型在零样本分类中表现出色，但对提示措辞十分敏感。本文提出一种基于熵的提示加权方法，在五个数据集上取得稳定提升。",
    "background": "- **研究背景**：音频-语言模型可以零样本分类音频事件。\n- **既有方法问题**：性能对提示措辞敏感，提示集成未考虑劣质提示。",
    "method": "- **核心思路**：以预测熵最小化为目标学习提示权重。\n- **方法框架**：\n  - **目标函数**：熵项与正则项。",
    "results": "- **任务与效果**：在五个音频分类数据集上评估，准确率最高提升 1.4%。",
}


def completion(content: str | None, *, finish_reason: str = "stop", refusal: str | None = None,
               prompt_tokens: int = 1200, completion_tokens: int = 400, model: str = "stub-model") -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def json_reply(payload: dict, status: int = 200, headers: dict | None = None, delay: float = 0.0) -> Reply:
    return Reply(
        status=status,
        body=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        delay=delay,
    )


def draft_reply(draft: dict | None = None, *, delay: float = 0.0, **completion_options) -> Reply:
    return json_reply(completion(json.dumps(draft or GOOD_DRAFT, ensure_ascii=False), **completion_options), delay=delay)


def error_reply(status: int, message: str, *, headers: dict | None = None) -> Reply:
    return json_reply({"error": {"message": message, "type": "invalid_request_error", "code": None}}, status, headers)


def sent_payload(request: RecordedRequest) -> dict:
    return json.loads(request.body)
