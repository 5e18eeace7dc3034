"""Conformance of `loris serve` with the official Python SDKs.

Run by tests/conformance/run.sh against a server with the starter model (SmolLM2-135M-Instruct,
f32 weights, greedy): every check asks "What is the capital of France?" and expects "The capital
of France is Paris.".

    python conformance.py anthropic   # the Anthropic SDK installed in this environment
    python conformance.py openai      # the OpenAI SDK
    python conformance.py load        # 32 concurrent streaming clients, both SDKs

Environment: LORIS_URL (http://127.0.0.1:PORT), LORIS_KEY (an API key the server accepts),
LORIS_MODEL (the served model id).
"""

import os
import sys
import threading

BASE = os.environ["LORIS_URL"]
KEY = os.environ["LORIS_KEY"]
MODEL = os.environ.get("LORIS_MODEL", "smollm2")
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
EXPECTED = "The capital of France is Paris."
CLIENTS = 32


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def greedy(client, **extra):
    """Greedy sampling for `messages.create`/`stream`. anthropic 2.14.0 has no `temperature` or
    `top_k` parameter (0.125.0 has), so there it goes in the body directly; the server reads it."""
    import inspect

    body = {"temperature": 0, **extra}
    if "temperature" in inspect.signature(client.messages.create).parameters:
        return body
    return {"extra_body": body}


def anthropic_checks():
    import anthropic

    version = anthropic.__version__
    by_key = anthropic.Anthropic(base_url=BASE, api_key=KEY, max_retries=0)
    by_token = anthropic.Anthropic(base_url=BASE, auth_token=KEY, max_retries=0)
    # Which header each release sends for api_key: 0.x `X-Api-Key`, 2.x `Authorization: Bearer`.
    headers = {name.lower() for name in by_key.auth_headers}
    print(f"anthropic {version}: api_key is sent as {sorted(headers)}")
    check(by_token.auth_headers.get("Authorization") == f"Bearer {KEY}", "auth_token is Bearer")

    for label, client in (("api_key", by_key), ("auth_token", by_token)):
        message = client.messages.create(
            model=MODEL, max_tokens=32, messages=QUESTION, **greedy(client)
        )
        check(message.type == "message" and message.role == "assistant", "a message")
        check(message.content[0].type == "text", f"a text block: {message.content}")
        text = message.content[0].text.strip()
        check(text == EXPECTED, f"{label}: {text!r}")
        check(message.stop_reason == "end_turn", f"stop_reason {message.stop_reason}")
        check(message.usage.input_tokens > 0 and message.usage.output_tokens > 0, "usage")

        with client.messages.stream(
            model=MODEL, max_tokens=32, messages=QUESTION, **greedy(client)
        ) as stream:
            streamed = "".join(stream.text_stream)
            final = stream.get_final_message()
        check(streamed.strip() == EXPECTED, f"{label} stream: {streamed!r}")
        check(final.content[0].text == streamed, "the final message holds the streamed text")
        check(final.stop_reason == "end_turn", f"stream stop_reason {final.stop_reason}")
        check(final.usage.output_tokens == message.usage.output_tokens, "stream usage")
        check(final.usage.input_tokens == message.usage.input_tokens, "stream input usage")
        print(f"anthropic {version} ({label}): create and stream -> {text!r}")

    stopped = by_key.messages.create(
        model=MODEL,
        max_tokens=32,
        system=[{"type": "text", "text": "You are a helpful assistant."}],
        stop_sequences=["Paris"],
        messages=QUESTION,
        **greedy(by_key, top_k=1),
    )
    check(stopped.stop_reason == "stop_sequence", f"stop_reason {stopped.stop_reason}")
    check(stopped.stop_sequence == "Paris", f"stop_sequence {stopped.stop_sequence}")
    check("Paris" not in stopped.content[0].text, "the stop sequence is not in the text")

    counted = by_key.messages.count_tokens(model=MODEL, messages=QUESTION)
    check(counted.input_tokens == message.usage.input_tokens, "count_tokens matches usage")

    try:
        anthropic.Anthropic(base_url=BASE, api_key="wrong", max_retries=0).messages.create(
            model=MODEL, max_tokens=8, messages=QUESTION
        )
        check(False, "a wrong key is refused")
    except anthropic.AuthenticationError as e:
        check(e.status_code == 401, "401")
        check(e.body["type"] == "error" and e.body["error"]["type"] == "authentication_error", f"envelope {e.body}")
    try:
        by_key.messages.create(
            model=MODEL, max_tokens=8, messages=QUESTION, **greedy(by_key, temperature=3)
        )
        check(False, "an invalid temperature is refused")
    except anthropic.BadRequestError as e:
        check("temperature" in e.message, e.message)
    print(f"anthropic {version}: stop_sequences, count_tokens, errors: ok")


def openai_checks():
    import openai

    client = openai.OpenAI(base_url=f"{BASE}/v1", api_key=KEY, max_retries=0)
    ids = [m.id for m in client.models.list()]
    check(MODEL in ids, f"models {ids}")
    check(client.models.retrieve(MODEL).id == MODEL, "retrieve")

    reply = client.chat.completions.create(
        model=MODEL, messages=QUESTION, temperature=0, max_tokens=32, seed=7
    )
    text = reply.choices[0].message.content.strip()
    check(text == EXPECTED, repr(text))
    check(reply.choices[0].finish_reason == "stop", reply.choices[0].finish_reason)
    check(reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens, "usage")

    stream = client.chat.completions.create(
        model=MODEL,
        messages=QUESTION,
        temperature=0,
        max_tokens=32,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    check(streamed.strip() == EXPECTED, repr(streamed))
    check(chunks[0].choices[0].delta.role == "assistant", "the first chunk has the role")
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    check(finish == ["stop"], f"finish reasons {finish}")
    check(chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == reply.usage.completion_tokens, "stream usage")

    stopped = client.chat.completions.create(
        model=MODEL, messages=QUESTION, temperature=0, max_tokens=32, stop=["Paris"]
    )
    check("Paris" not in stopped.choices[0].message.content, "stop")
    json_reply = client.chat.completions.create(
        model=MODEL,
        messages=QUESTION,
        temperature=0,
        max_tokens=32,
        response_format={"type": "json_object"},
    )
    check(json_reply.choices[0].message.role == "assistant", "response_format json_object")
    tools = [{
        "type": "function",
        "function": {
            "name": "get_capital",
            "description": "The capital of a country",
            "parameters": {"type": "object", "properties": {"country": {"type": "string"}}},
        },
    }]
    tooled = client.chat.completions.create(
        model=MODEL, messages=QUESTION, temperature=0, max_tokens=32, tools=tools, tool_choice="auto"
    )
    check(tooled.choices[0].finish_reason in ("stop", "tool_calls", "length"), "tools")
    completion = client.completions.create(
        model=MODEL, prompt="The capital of France is", max_tokens=4, temperature=0
    )
    check(completion.choices[0].finish_reason in ("stop", "length"), "completions")

    try:
        openai.OpenAI(base_url=f"{BASE}/v1", api_key="wrong", max_retries=0).chat.completions.create(
            model=MODEL, messages=QUESTION
        )
        check(False, "a wrong key is refused")
    except openai.AuthenticationError as e:
        check(e.status_code == 401, "401")
    try:
        client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=9)
        check(False, "an invalid temperature is refused")
    except openai.BadRequestError as e:
        check("temperature" in e.message, e.message)
    print(f"openai {openai.__version__}: models, create, stream, stop, json, tools, errors: ok")


ANTHROPIC_ORDER = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


def anthropic_stream_client(errors, index):
    import anthropic

    client = anthropic.Anthropic(base_url=BASE, api_key=KEY, max_retries=0, timeout=900)
    with client.messages.stream(
        model=MODEL, max_tokens=32, messages=QUESTION, **greedy(client)
    ) as stream:
        # The SDK adds its own `text` events beside the raw ones.
        kinds = [event.type for event in stream if event.type in ANTHROPIC_ORDER]
        final = stream.get_final_message()
    folded = [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]]
    if folded != ANTHROPIC_ORDER:
        errors.append(f"client {index}: event order {folded}")
    elif final.content[0].text.strip() != EXPECTED:
        errors.append(f"client {index}: {final.content[0].text!r}")


def openai_stream_client(errors, index):
    import openai

    client = openai.OpenAI(base_url=f"{BASE}/v1", api_key=KEY, max_retries=0, timeout=900)
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=QUESTION, temperature=0, max_tokens=32, stream=True,
        stream_options={"include_usage": True},
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    if text.strip() != EXPECTED or finish != ["stop"] or chunks[-1].usage is None:
        errors.append(f"client {index}: {text!r} {finish}")


def load_checks():
    errors = []

    def run(index):
        try:
            (anthropic_stream_client if index % 2 == 0 else openai_stream_client)(errors, index)
        except Exception as e:  # noqa: BLE001 - every failure is reported with its client
            errors.append(f"client {index}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "\n".join(errors))
    print(f"load: {CLIENTS} concurrent streams (Anthropic and OpenAI SDKs) completed in order")


if __name__ == "__main__":
    checks = {"anthropic": anthropic_checks, "openai": openai_checks, "load": load_checks}
    for name in sys.argv[1:] or checks:
        checks[name]()
