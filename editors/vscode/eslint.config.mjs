// Lint rules for the extension (`npm run lint`): typescript-eslint's recommended set on the TypeScript
// sources and tests, plus a rule that keeps the `vscode` module out of the unit-tested modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // These modules run under node's test runner, where `vscode` does not exist.
    files: ['src/lsp_ext.ts', 'src/server.ts', 'src/config.ts', 'src/render.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode', 'vscode-languageclient', 'vscode-languageclient/node'] }] },
  },
  {
    files: ['scripts/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
