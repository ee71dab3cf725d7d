// What `npm start` builds the suite with: the bundle `nest build` makes, transpiled by SWC
// instead of ts-loader and without the type check beside it, which take most of the first
// minute. `npm run build` (every app, what images ship), `npm run check` and CI keep tsc.
// SWC is set to tsc's semantics here: legacy decorators with their metadata (Nest's injection
// reads it), define semantics for class fields (target ES2022), CommonJS modules.
module.exports = (options) => ({
  ...options,
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            swcrc: false,
            jsc: {
              parser: { syntax: 'typescript', decorators: true },
              transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
              target: 'es2022',
              keepClassNames: true,
            },
            module: { type: 'commonjs' },
          },
        },
      },
    ],
  },
  plugins: options.plugins.filter((plugin) => plugin.constructor.name !== 'ForkTsCheckerWebpackPlugin'),
});
