// The official openai client against a running moe-mesh gateway (README.md beside this file).
// Env: OPENAI_BASE_URL (http://127.0.0.1:8000/v1), OPENAI_API_KEY (the key `moe up` wrote),
// MOEMESH_ROUTER_METRICS_URL (the router's Prometheus text, for the disconnect check).
// Prints `ok <name>` or `FAIL <name>: <why>` per check, then {"passed":N,"failed":M}; exits 1 on a failure.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';

const MODEL = 'mesh-mini-16e';
const PROMPT = 'The meaning of life is';
const MESSAGES = [{ role: 'user', content: 'Tell me a story about a mesh of experts.' }];
const MAX_TOKENS = 24;
const CHECK_LIMIT_MS = 60_000; // a check that takes longer fails instead of hanging the run
const GREEDY = { model: MODEL, temperature: 0, max_tokens: MAX_TOKENS };

const env = (name) => process.env[name] ?? '';
const baseURL = env('OPENAI_BASE_URL');
const apiKey = env('OPENAI_API_KEY');
if (!baseURL || !apiKey) {
  console.log('FAIL setup: set OPENAI_BASE_URL and OPENAI_API_KEY (README.md beside client-check.mjs)');
  console.log(JSON.stringify({ passed: 0, failed: 1 }));
  process.exit(2);
}
// No retries: a 4xx must reach the check as it came, and a failure should not be hidden by a second try.
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: CHECK_LIMIT_MS });

// Drains a completions stream: the concatenated text, the last finish_reason and the usage chunk.
async function drainCompletion(stream) {
  let text = '';
  let finish = null;
  let usageChunk = null;
  for await (const chunk of stream) {
    if (chunk.usage) usageChunk = chunk;
    for (const choice of chunk.choices) {
      text += choice.text ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  return { text, finish, usageChunk };
}

async function drainChat(stream) {
  let text = '';
  let finish = null;
  let role = null;
  let usageChunk = null;
  for await (const chunk of stream) {
    if (chunk.usage) usageChunk = chunk;
    for (const choice of chunk.choices) {
      role = choice.delta?.role ?? role;
      text += choice.delta?.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  return { text, finish, role, usageChunk };
}

function assertMoemeshExtra(body) {
  assert.equal(typeof body.moemesh, 'object', 'the response has no `moemesh` object');
  assert.equal(body.moemesh.degraded, false, 'a healthy local cluster answered degraded');
  assert.ok('skipped_experts' in body.moemesh, '`moemesh.skipped_experts` is missing');
  assert.ok(body.moemesh.request_id, '`moemesh.request_id` is missing');
}

function assertUsageChunk(usageChunk, completionTokens) {
  assert.ok(usageChunk, 'include_usage was set but no chunk carried `usage`');
  assert.deepEqual(usageChunk.choices, [], 'the usage chunk must have empty `choices`');
  assert.equal(usageChunk.usage.completion_tokens, completionTokens, 'streamed usage differs from non-streamed');
}

// A two-character piece from the middle of `text` whose first occurrence is not at the start, or null.
function middlePiece(text) {
  const chars = Array.from(text); // code points: never split a surrogate pair
  for (let i = Math.floor(chars.length / 2); i < chars.length - 1; i++) {
    const piece = chars[i] + chars[i + 1];
    if (piece.trim() !== '' && !piece.includes('\uFFFD') && text.indexOf(piece) > 0) return piece;
  }
  return null;
}

async function cancelledCount() {
  const url = env('MOEMESH_ROUTER_METRICS_URL');
  assert.ok(url, 'set MOEMESH_ROUTER_METRICS_URL to the router\'s Prometheus URL');
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200, `GET ${url} answered ${response.status}`);
  let sum = 0; // a counter not incremented yet may be absent: 0
  for (const line of (await response.text()).split('\n')) {
    const m = /^moemesh_router_requests_cancelled_total(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

async function expectError(errorClass, status, request) {
  await assert.rejects(request, (e) => {
    assert.ok(e instanceof errorClass, `expected ${errorClass.name}, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, status);
    assert.equal(typeof e.error?.message, 'string', 'the body is not OpenAI\'s {"error":{"message":...}}');
    assert.ok('type' in e.error && 'param' in e.error && 'code' in e.error, 'the error lacks type/param/code');
    return true;
  });
}

const checks = {
  'models.list': async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes(MODEL), `${MODEL} not in ${JSON.stringify(ids)}`);
  },
  'completions': async () => {
    const c = await client.completions.create({ ...GREEDY, prompt: PROMPT });
    assert.equal(typeof c.choices[0].text, 'string');
    assert.ok(c.choices[0].text.length > 0, 'empty text');
    assert.ok(c.usage.completion_tokens <= MAX_TOKENS, `${c.usage.completion_tokens} tokens > max_tokens`);
    assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason), `finish_reason ${c.choices[0].finish_reason}`);
    assertMoemeshExtra(c);
  },
  'completions.stream equals non-streaming': async () => {
    const whole = await client.completions.create({ ...GREEDY, prompt: PROMPT });
    const stream = await client.completions.create({ ...GREEDY, prompt: PROMPT, stream: true,
      stream_options: { include_usage: true } });
    const streamed = await drainCompletion(stream);
    assert.equal(streamed.text, whole.choices[0].text);
    assert.equal(streamed.finish, whole.choices[0].finish_reason);
    assertUsageChunk(streamed.usageChunk, whole.usage.completion_tokens);
  },
  'completions.seed repeats': async () => {
    const sampled = { ...GREEDY, prompt: PROMPT, temperature: 0.9, seed: 1234 };
    const first = await client.completions.create(sampled);
    const second = await client.completions.create(sampled);
    assert.equal(second.choices[0].text, first.choices[0].text);
  },
  'chat.completions': async () => {
    const c = await client.chat.completions.create({ ...GREEDY, messages: MESSAGES });
    const message = c.choices[0].message;
    assert.equal(message.role, 'assistant');
    assert.equal(typeof message.content, 'string');
    assert.ok(message.content.length > 0, 'empty content');
    assert.ok(c.usage.completion_tokens <= MAX_TOKENS, `${c.usage.completion_tokens} tokens > max_tokens`);
    assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason), `finish_reason ${c.choices[0].finish_reason}`);
    assertMoemeshExtra(c);
  },
  'chat.completions.stream equals non-streaming': async () => {
    const whole = await client.chat.completions.create({ ...GREEDY, messages: MESSAGES });
    const stream = await client.chat.completions.create({ ...GREEDY, messages: MESSAGES, stream: true,
      stream_options: { include_usage: true } });
    const streamed = await drainChat(stream);
    assert.equal(streamed.role, 'assistant');
    assert.equal(streamed.text, whole.choices[0].message.content);
    assert.equal(streamed.finish, whole.choices[0].finish_reason);
    assertUsageChunk(streamed.usageChunk, whole.usage.completion_tokens);
  },
  'chat.completions logprobs: one per token, greedy picks the most likely': async () => {
    const c = await client.chat.completions.create({ ...GREEDY, messages: MESSAGES, logprobs: true, top_logprobs: 2 });
    const content = c.choices[0].logprobs?.content;
    assert.ok(Array.isArray(content), 'no logprobs.content');
    assert.equal(content.length, c.usage.completion_tokens, 'one entry per generated token');
    for (const t of content) {
      assert.ok(t.logprob <= 0, `logprob ${t.logprob} > 0`);
      assert.equal(t.top_logprobs.length, 2);
      assert.equal(t.logprob, t.top_logprobs[0].logprob, 'greedy: the chosen token is the most likely one');
      assert.ok(t.bytes.length > 0, 'a token without bytes');
    }
  },
  'completions logprobs and penalties are accepted': async () => {
    const c = await client.completions.create({ ...GREEDY, prompt: PROMPT, logprobs: 1, presence_penalty: 1.5,
      frequency_penalty: 0.5 });
    const lp = c.choices[0].logprobs;
    assert.equal(lp.tokens.length, c.usage.completion_tokens);
    assert.equal(lp.token_logprobs.length, lp.tokens.length);
    assert.equal(lp.text_offset[0], 0);
  },
  'completions.stop ends before the stop text': async () => {
    await checkStop(async (params) => {
      const c = await client.completions.create(params);
      return { text: c.choices[0].text, finish: c.choices[0].finish_reason };
    });
  },
  'completions.stop ends the stream before the stop text': async () => {
    await checkStop(async (params) => drainCompletion(await client.completions.create({ ...params, stream: true })));
  },
  'invalid key is 401': async () => {
    const stranger = new OpenAI({ baseURL, apiKey: 'sk-not-the-key-0123456789', maxRetries: 0 });
    await expectError(OpenAI.AuthenticationError, 401, stranger.completions.create({ ...GREEDY, prompt: PROMPT }));
  },
  'unknown model is 404': async () => {
    await expectError(OpenAI.NotFoundError, 404,
      client.completions.create({ ...GREEDY, model: 'no-such-model', prompt: PROMPT }));
  },
  'n: 2 is 400': async () => {
    await expectError(OpenAI.BadRequestError, 400, client.completions.create({ ...GREEDY, prompt: PROMPT, n: 2 }));
  },
  'disconnect mid-stream cancels the generation': async () => {
    const before = await cancelledCount();
    const stream = await client.completions.create({ ...GREEDY, prompt: PROMPT, max_tokens: 2000, stream: true });
    const chunks = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) {
      assert.equal((await chunks.next()).done, false, `the stream ended after ${i} chunks, before the disconnect`);
    }
    stream.controller.abort();
    let now = before;
    for (const deadline = Date.now() + 10_000; now < before + 1 && Date.now() < deadline; await sleep(200)) {
      now = await cancelledCount();
    }
    assert.ok(now >= before + 1, `moemesh_router_requests_cancelled_total stayed at ${now} (was ${before})`);
  },
};

// Greedy without a stop, then with a two-character piece of the middle as the stop: the output must be
// exactly the text before the piece's first occurrence.
async function checkStop(generate) {
  const free = await generate({ ...GREEDY, prompt: PROMPT, max_tokens: 32 });
  const piece = middlePiece(free.text);
  assert.ok(piece, `no usable stop piece in ${JSON.stringify(free.text)}`);
  const stopped = await generate({ ...GREEDY, prompt: PROMPT, max_tokens: 32, stop: [piece] });
  assert.equal(stopped.text, free.text.slice(0, free.text.indexOf(piece)), `stop ${JSON.stringify(piece)}`);
  assert.equal(stopped.finish, 'stop');
}

// The error and its innermost cause: "Connection error." alone does not say ECONNREFUSED.
function describe(e) {
  let root = e;
  while (root?.cause) root = root.cause;
  const cause = root === e ? '' : ` (cause: ${root?.code ?? ''} ${root?.message ?? root})`;
  return `${e?.constructor?.name ?? 'Error'}: ${e?.message ?? e}${cause}`.replace(/\s+/g, ' ');
}

let passed = 0;
let failed = 0;
for (const [name, check] of Object.entries(checks)) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${CHECK_LIMIT_MS} ms`)), CHECK_LIMIT_MS);
  });
  try {
    await Promise.race([check(), limit]);
    passed++;
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${describe(e)}`);
  } finally {
    clearTimeout(timer);
  }
}
console.log(JSON.stringify({ passed, failed }));
process.exit(failed === 0 ? 0 : 1); // a stream abandoned by a timed-out check must not keep node alive
