// Placeholder until the PWA lands: `npm start` will build the PWA, start the API and serve both.
console.log("pifu: the PWA is not built yet; run `npm test` to check the contract.");
