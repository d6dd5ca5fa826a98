import { describe, expect, it } from 'vitest';
import { entropyRule, findSecrets, shannonEntropy } from './secrets.js';

const at = (text: string, path = 'src/config.ts') => [{ path, line: 7, text }];

describe('secrets in added lines', () => {
  it('computes Shannon entropy in bits per character', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('ab')).toBe(1);
    expect(shannonEntropy('abcdefgh')).toBe(3);
  });

  it('finds known key formats and never echoes the secret', () => {
    const key = 'sk-proj-' + 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';
    const [finding] = findSecrets(at(`const apiKey = "${key}";`));
    expect(finding).toMatchObject({ path: 'src/config.ts', line: 7, rule: 'openai-anthropic-api-key' });
    expect(finding!.preview).toBe(`sk-p… (${key.length} chars)`);
    expect(findSecrets(at('token: ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'))[0]?.rule).toBe('github-token');
    expect(findSecrets(at('AWS_KEY=AKIAIOSFODNN7EXAMPLE'))[0]?.rule).toBe('aws-access-token');
  });

  it('flags high-entropy quoted strings and assignment values (detect-secrets limits)', () => {
    expect(findSecrets(at('secret = "q8Zr2vT7xLm4Kp9Ws3Yb6Nd1Hf5Jc0Ge"'))[0]?.rule).toBe('high-entropy-base64');
    expect(findSecrets(at('DB_PASSWORD=q8Zr2vT7xLm4Kp9Ws3Yb6Nd1Hf5Jc0Ge', '.env'))[0]?.rule).toBe('high-entropy-base64');
    expect(entropyRule('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b')).toBe('high-entropy-hex');
  });

  it('does not flag ordinary code, prose, paths or numbers', () => {
    const lines = [
      'export function computeTotalPrice(items: Item[]): number {',
      'const message = "the quick brown fox jumps over the lazy dog";',
      "import { something } from '../../components/shared/something-useful';",
      'const url = "https://example.com/api/v1/users/profile/settings";',
      'const big = "1000000000000000000000";',
      'const name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";',
      'if (bearerAuthentication) return Bearer;',
    ].map((text, k) => ({ path: 'src/a.ts', line: k + 1, text }));
    expect(findSecrets(lines)).toEqual([]);
  });
});

describe('header credentials', () => {
  it('flags a real bearer credential but not a placeholder or a doc example', () => {
    expect(findSecrets(at("headers: { Authorization: 'Bearer abcDEF123456ghiJKL' }"))[0]?.rule).toBe('bearer-token');
    expect(findSecrets(at('curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706"'))[0]?.rule).toBe('authorization-header');
    for (const text of ['/** e.g. `authorization: Bearer <key>` */', 'headers.authorization = `Bearer ${apiKey}`;', 'Authorization: Bearer {{token}}', ' * the `Authorization: Bearer ` header']) {
      expect(findSecrets(at(text)), text).toEqual([]);
    }
  });
});
