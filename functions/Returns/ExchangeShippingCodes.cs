using System.Text.Json;
using Automation.Effects;
using Automation.Runtime;
using Automation.Stores;

namespace Automation.Returns;

/// <summary>
/// The exchange incentive: a single-use free-shipping code for the replacement order, made once per RMA (ledger key
/// <c>free-shipping-code:{rma}</c>). Its dates are recorded, so the customer's email shows the ones the platform has.
/// </summary>
public sealed class ExchangeShippingCodes(ReturnsPlatforms platforms, EffectLedger ledger, TimeProvider time)
{
    public static bool Applies(ReturnDecision decision) =>
        decision.FreeShippingOnReplacement && decision.Outcome is ReturnOutcome.Approved or ReturnOutcome.KeepIt;

    public async Task<FreeShippingCode> IssueAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var recorded = await ledger.RunOnceAsync(store.Id, $"free-shipping-code:{returnCase.Rma}", async (_, ct) =>
        {
            // Nothing to look up after a crash: the code is derived from the RMA, and the platforms answer "taken"
            // for a code an earlier attempt made, which counts as made.
            var now = time.GetUtcNow();
            var code = new FreeShippingCode(FreeShippingCode.For(returnCase.Rma), now, now + policy.ExchangeCodeLifetime);
            await platforms.For(store).CreateFreeShippingCodeAsync(store, code, returnCase, ct);
            return JsonSerializer.Serialize(code, Json.Options);
        }, cancellationToken);
        return JsonSerializer.Deserialize<FreeShippingCode>(recorded!, Json.Options)!;
    }
}
