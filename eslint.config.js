// ESLint's recommended rules for the project's plain ES modules (Node), with formatting left
// to Prettier (eslint-config-prettier turns off the rules it would fight).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default [
  {
    ignores: [
      'node_modules/',
      'target/',
      'pkg/',
      'dist/',
      '.tools/',
      'bench/results/',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      'no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          // `const { Signature, ...rest } = params` leaves a key out on purpose.
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // The inbox page's script runs in the browser.
    files: ['sandbox/inbox*.mjs', 'sandbox/test/inbox-browser.test.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  prettier,
];
