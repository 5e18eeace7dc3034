/** What clients put where the secret goes: keys are shown once, so examples never hold one. */
export const API_KEY_PLACEHOLDER = "YOUR_API_KEY";
/** Used when no model is loaded yet. */
export const MODEL_PLACEHOLDER = "MODEL_ID";

export type ApiExample = { id: "curl" | "openai" | "anthropic"; title: string; code: string };

/**
 * Copyable client examples for the server at `url` (`http://127.0.0.1:8139`): curl and the
 * official OpenAI and Anthropic Python SDKs. The OpenAI SDK takes the `/v1` base, the Anthropic
 * SDK the server root (it adds `/v1/messages` itself).
 */
export function apiExamples(url: string, model: string | null): ApiExample[] {
  const name = model ?? MODEL_PLACEHOLDER;
  const body = JSON.stringify({
    model: name,
    messages: [{ role: "user", content: "What is the capital of France?" }],
  });
  return [
    {
      id: "curl",
      title: "curl",
      code: [
        `curl ${url}/v1/chat/completions \\`,
        `  -H "Content-Type: application/json" \\`,
        `  -H "Authorization: Bearer ${API_KEY_PLACEHOLDER}" \\`,
        `  -d '${body}'`,
      ].join("\n"),
    },
    {
      id: "openai",
      title: "Python (openai)",
      code: [
        "from openai import OpenAI",
        "",
        `client = OpenAI(base_url="${url}/v1", api_key="${API_KEY_PLACEHOLDER}")`,
        "reply = client.chat.completions.create(",
        `    model="${name}",`,
        `    messages=[{"role": "user", "content": "What is the capital of France?"}],`,
        ")",
        "print(reply.choices[0].message.content)",
      ].join("\n"),
    },
    {
      id: "anthropic",
      title: "Python (anthropic)",
      code: [
        "from anthropic import Anthropic",
        "",
        `client = Anthropic(base_url="${url}", api_key="${API_KEY_PLACEHOLDER}")`,
        "message = client.messages.create(",
        `    model="${name}",`,
        "    max_tokens=256,",
        `    messages=[{"role": "user", "content": "What is the capital of France?"}],`,
        ")",
        "print(message.content[0].text)",
      ].join("\n"),
    },
  ];
}
