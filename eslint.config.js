import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '.data/**',
      '.slipway/**',
      '.cache/**',
      '**/playwright-report/**',
      '**/test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Imports go one way: cli → commands → engine → interfaces. local/ (and kubernetes/) implement the engine's
    // interfaces and are never imported by it.
    files: ['packages/slipway/src/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/local', '**/local/**', '**/kubernetes', '**/kubernetes/**'],
              message: 'the engine knows no backend: local/ and kubernetes/ implement engine/backend.ts and are given to the engine.',
            },
            {
              group: ['**/commands', '**/commands/**', '**/cli', '**/cli.js', '**/smoke/command', '**/smoke/command.js'],
              message: 'the engine is called by the commands and the CLI, never the other way: take what you need through EngineContext.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**'],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
