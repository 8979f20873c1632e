/**
 * Chat-format rows: a `messages` list of {role, content}. The last assistant turn is the response the model
 * learns; everything before it is the prompt (a lone user turn as is, several turns as "role: content" blocks).
 */
import { answerLine, lastBoxed } from './answers';
import type { RawRow } from './fields';
import type { Draft } from './schemas';

interface Message {
  role: string;
  content: string;
}

function readMessages(value: unknown, field: string): Message[] | { reason: string } {
  if (value === undefined || value === null) return { reason: `missing field "${field}"` };
  if (!Array.isArray(value)) return { reason: `field "${field}" is not a list of messages` };
  const messages: Message[] = [];
  for (const [i, m] of value.entries()) {
    const { role, content } = (m ?? {}) as Partial<Record<string, unknown>>;
    if (typeof role !== 'string' || typeof content !== 'string') {
      return { reason: `${field}[${i}] needs text "role" and "content"` };
    }
    messages.push({ role, content });
  }
  return messages;
}

export function chatDraft(row: RawRow, field: string): Draft | { reason: string } {
  const messages = readMessages(row[field], field);
  if ('reason' in messages) return messages;
  const last = messages.map((m) => m.role).lastIndexOf('assistant');
  if (last < 0) return { reason: `${field} has no assistant message` };
  const before = messages.slice(0, last);
  const turns = before.filter((m) => m.role !== 'system');
  const prompt =
    turns.length === 1 && turns[0].role === 'user'
      ? [...before.filter((m) => m.role === 'system').map((m) => m.content), turns[0].content].join('\n\n')
      : before.map((m) => `${m.role}: ${m.content}`).join('\n\n');
  const response = messages[last].content;
  return { kind: 'sft', prompt, response, answer: answerLine(response) ?? lastBoxed(response) };
}
