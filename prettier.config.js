// Prettier 3, run on the JavaScript and TypeScript files by `npm run format`
// and checked by `npm run lint`. Its defaults but two, the ones that kept the
// code as it was written closest (of the widths and options tried): single
// quotes, and lines up to 120 columns, as clang-format's for C.
export default {
  singleQuote: true,
  printWidth: 120,
};
