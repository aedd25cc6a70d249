// ESLint 9 (flat config), run by `npm run lint` over the files that
// scripts/sources.js lists. ESLint looks for mistakes; the layout is
// Prettier's (prettier.config.js), so no style rule is on here.
import js from '@eslint/js';
import globals from 'globals';

export default [
  // generated or installed; index.d.ts and the .ts usage file are tsc's (npm test: types)
  { ignores: ['**/node_modules/', 'build/', 'web/build/', 'web/data/', '**/*.ts'] },
  js.configs.recommended,
  {
    rules: {
      // possible problems that the recommended set leaves out
      'array-callback-return': 'error',
      'no-constructor-return': 'error',
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'error',
      'no-unreachable-loop': 'error',
      // a use before its declaration in the same scope (a TDZ error); later
      // functions and closures that run after the declaration are fine
      'no-use-before-define': ['error', { functions: false, classes: false, variables: false }],
      // the command lines print fields two spaces apart, and tests match them as written
      'no-regex-spaces': 'off',
      // `const { dropped: _, ...rest } = o` is how a key is left out
      'no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  // Where each file runs, and so which globals it has.
  { files: ['web/lib/**/*.js'], languageOptions: { globals: globals['shared-node-browser'] } },
  {
    files: ['web/lib/node.js', 'bin/**/*.js', 'scripts/**/*.js', 'tests/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  { files: ['web/*.js', 'tests/fixtures/bundle-app/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['web/worker.js', 'tests/fixtures/bundle-app/**/*.js'], languageOptions: { globals: globals.worker } },
  { files: ['web/sw.js'], languageOptions: { globals: globals.serviceworker } },
  // the browser bench: its page and the workers it starts
  { files: ['scripts/bench-browser/page.js'], languageOptions: { globals: globals.browser } },
  {
    files: ['scripts/bench-browser/worker.js', 'scripts/bench-browser/trainers/*.js'],
    languageOptions: { globals: globals.worker },
  },
  // browser drivers: the functions they hand to the page run in the page
  {
    files: [
      'tests/browser/**/*.js',
      'tests/engines/**/*.js',
      'tests/bundle.test.js',
      'scripts/bench-page.js',
      'scripts/time-to-accuracy.js',
      'scripts/served-page.js',
      'scripts/bench-browser/driver.js',
    ],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
  // put before and after Emscripten's glue (--pre-js, --post-js), inside its scope
  {
    files: ['cmake/wasm-post.js', 'cmake/wasm-threads-pre.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        Module: 'readonly',
        HEAPU8: 'readonly',
        HEAP32: 'readonly',
        HEAPU32: 'readonly',
        HEAPF32: 'readonly',
        HEAPF64: 'readonly',
      },
    },
  },
];
