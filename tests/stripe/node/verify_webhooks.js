// Checks webhook deliveries as a stripe-node integration does, with stripe.webhooks.constructEvent
// (its default tolerance: 300 s). Reads {"secret", "deliveries": [{"body", "signature"}]} on
// stdin; prints, for each delivery, {"id", "type"} of the event it verified, or {"error"}.
const Stripe = require("stripe");

const stripe = new Stripe("sk_test_unused");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, deliveries } = JSON.parse(input);
  const results = deliveries.map(({ body, signature }) => {
    try {
      const event = stripe.webhooks.constructEvent(body, signature, secret);
      return { id: event.id, type: event.type };
    } catch (e) {
      return { error: `${e.type}: ${e.message}` };
    }
  });
  console.log(JSON.stringify(results));
});
