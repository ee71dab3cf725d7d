// `npm start` builds only the suite and skips the type check that `nest build` runs beside
// webpack (about 15 s of the first minute). `npm run build`, `npm run check` and CI keep it.
module.exports = (options) => ({
  ...options,
  plugins: options.plugins.filter((plugin) => plugin.constructor.name !== 'ForkTsCheckerWebpackPlugin'),
});
