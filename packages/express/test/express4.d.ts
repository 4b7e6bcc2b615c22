// Express 4.21 is installed under the alias `express4` to test the adapter on it; its API, as far
// as these tests use it, is typed by Express 5's types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
