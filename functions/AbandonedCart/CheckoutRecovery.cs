using Automation.Events;
using Automation.Flows;
using Automation.Stores;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Automation.AbandonedCart;

/// <summary>
/// What the abandoned-cart queue's events do to the customers' flows: a checkout starts one if the start conditions
/// allow (or updates or replaces the customer's running flow); an order, a closed checkout or an unsubscribe reach the
/// running flow as external events; an order after a flow ended may still be attributed to it; a redaction erases the
/// customer. Every flow is the orchestration instance <see cref="RecoveryIds.InstanceId"/> of its store and customer.
/// </summary>
public sealed class CheckoutRecovery(
    RecoveryCustomers customers,
    RecoveryOutcomes outcomes,
    StoreRegistry stores,
    AbandonedCartSettings settings,
    TimeProvider time,
    ILogger<CheckoutRecovery> logger)
{
    // ── Trigger: a checkout with an email and at least one item ──

    public async Task OnCheckoutAsync(DurableTaskClient client, CheckoutEvent checkout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(checkout.Email) || checkout.LineItems.Count == 0)
        {
            logger.LogDebug("Checkout event {EventId} of store {StoreId} has no email or no items: not a recovery candidate", checkout.Id, checkout.StoreId);
            return;
        }

        if (stores.Find(checkout.StoreId) is not { } store)
        {
            logger.LogWarning("Checkout event {EventId} names unknown store {StoreId}; ignored", checkout.Id, checkout.StoreId);
            return;
        }

        var options = settings.For(store.Id);
        if (!options.Enabled) return;

        var customerKey = RecoveryIds.CustomerKey(checkout.Email);
        var instanceId = RecoveryIds.InstanceId(store.Id, customerKey);
        var state = NewState(store, options, checkout, customerKey, instanceId);
        var customer = await customers.GetAsync(store.Id, customerKey, cancellationToken);

        // ── Conditions: consent, unsubscribed, already ordered, cooldown ──
        var skip = SkipReason(store, options, checkout, customer);
        if (skip is null && IsInCooldown(options, checkout, customer) is { } cooldown && !await IsRunningAsync(client, instanceId, cancellationToken))
        {
            skip = cooldown;
        }

        if (skip is not null)
        {
            logger.LogInformation("Recovery for a customer of store {StoreId} skipped: {Reason}", store.Id, skip);
            await customers.RecordSkipAsync(store.Id, customerKey, checkout, customer, skip, cancellationToken);
            return;
        }

        // ── Action: start the customer's flow, or hand the checkout to the one running ──
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(CheckoutRecoveryOrchestrator.Name, state, new StartOrchestrationOptions(instanceId), cancellationToken);
            await customers.RecordStartAsync(state, checkout, cancellationToken);
            logger.LogInformation("Recovery flow {FlowId} started for store {StoreId}", state.FlowId, store.Id);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // The running flow decides: the same checkout, newer, updates it; another checkout replaces it.
            await client.RaiseEventAsync(instanceId, RecoveryEvents.CheckoutChanged, state, cancellationToken);
            if (customer?.LastCheckoutId == checkout.CheckoutId) await customers.RecordCheckoutAsync(store.Id, customerKey, checkout, cancellationToken);
            else await customers.RecordStartAsync(state, checkout, cancellationToken);
        }
    }

    /// <summary>Start conditions decided without the flow's instance. Null: go on.</summary>
    private static string? SkipReason(Store store, AbandonedCartOptions options, CheckoutEvent checkout, RecoveryCustomer? customer)
    {
        if (!store.AutomationsEnabled) return "store automations are disabled";
        if (options.RequireMarketingConsent && !checkout.AcceptsMarketing) return "no marketing consent (required by the store's settings)";
        if (customer?.Unsubscribed == true) return "the customer unsubscribed from recovery emails";
        if (customer?.LastOrderAt is { } ordered && ordered >= checkout.OccurredAt) return $"the customer placed an order ({ordered:u}) after this checkout";
        return null;
    }

    /// <summary>
    /// No new flow within <c>Cooldown</c> of the start of the customer's last one — unless that one is still running
    /// (then this checkout replaces or updates it), or it was this very event that started it (a retried start).
    /// </summary>
    private string? IsInCooldown(AbandonedCartOptions options, CheckoutEvent checkout, RecoveryCustomer? customer) =>
        customer?.LastStartedAt is { } last && time.GetUtcNow() - last < options.Cooldown && customer.LastStartEventId != checkout.Id
            ? $"cooldown: the customer's last recovery flow started {last:u}, within {options.Cooldown}"
            : null;

    private RecoveryState NewState(Store store, AbandonedCartOptions options, CheckoutEvent checkout, string customerKey, string instanceId) =>
        RecoveryState.Start(checkout, instanceId, customerKey, time.GetUtcNow(), RecoverySettings.From(options, store.TimeZone));

    // ── Exits: events to the customer's running flow ──

    public async Task OnCheckoutClosedAsync(DurableTaskClient client, CheckoutClosed closed, CancellationToken cancellationToken)
    {
        if (await customers.FindKeyAsync(closed.StoreId, RecoveryCustomers.CheckoutRow(closed.CheckoutId), cancellationToken) is not { } customerKey) return;
        await RaiseIfRunningAsync(client, RecoveryIds.InstanceId(closed.StoreId, customerKey), RecoveryEvents.CheckoutClosed, new ClosedCheckout(closed.CheckoutId, closed.Reason), cancellationToken);
    }

    /// <summary>An order ends the customer's running flow (found by email, customer id or checkout), or is attributed to the flow that just ended.</summary>
    public async Task OnOrderPlacedAsync(DurableTaskClient client, OrderPlaced order, CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (order.Email is { Length: > 0 } email) keys.Add(RecoveryIds.CustomerKey(email));
        if (order.CustomerId is { } customerId && await customers.FindKeyAsync(order.StoreId, RecoveryCustomers.CustomerIdRow(customerId), cancellationToken) is { } byId) keys.Add(byId);
        if (order.CheckoutId is { Length: > 0 } checkoutId && await customers.FindKeyAsync(order.StoreId, RecoveryCustomers.CheckoutRow(checkoutId), cancellationToken) is { } byCheckout) keys.Add(byCheckout);

        var summary = new RecoveryOrder(order.OrderId, order.OrderNumber, order.TotalPrice, order.Currency, order.DiscountCodes, order.OccurredAt);
        foreach (var customerKey in keys)
        {
            // First on the customer (events are not ordered: a later checkout event must not start a flow; and a flow
            // that ends before it hears of the order attributes it from here).
            await customers.RecordOrderAsync(order.StoreId, customerKey, order, cancellationToken);
            var instanceId = RecoveryIds.InstanceId(order.StoreId, customerKey);
            if (await RaiseIfRunningAsync(client, instanceId, RecoveryEvents.OrderPlaced, summary, cancellationToken)) continue;
            if ((await customers.GetAsync(order.StoreId, customerKey, cancellationToken))?.LastFlowId is { } lastFlow
                && await outcomes.AttributeAsync(order.StoreId, lastFlow, summary, cancellationToken))
            {
                logger.LogInformation("Order {OrderId} of store {StoreId} attributed to ended recovery flow {FlowId}", order.OrderId, order.StoreId, lastFlow);
            }
        }
    }

    /// <summary>The customer clicked the unsubscribe link: no more recovery emails, and the running flow ends now.</summary>
    public async Task UnsubscribeAsync(DurableTaskClient client, string storeId, string customerKey, CancellationToken cancellationToken)
    {
        await customers.MarkUnsubscribedAsync(storeId, customerKey, cancellationToken);
        await RaiseIfRunningAsync(client, RecoveryIds.InstanceId(storeId, customerKey), RecoveryEvents.Unsubscribed, "unsubscribed", cancellationToken);
    }

    // ── Compliance: erase what this automation holds about the customer, Durable history included ──

    public async Task OnCustomerRedactAsync(DurableTaskClient client, CustomerRedactRequested redact, CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (redact.Email is { Length: > 0 } email) keys.Add(RecoveryIds.CustomerKey(email));
        if (redact.CustomerId is { } id && await customers.FindKeyAsync(redact.StoreId, RecoveryCustomers.CustomerIdRow(id), cancellationToken) is { } byId) keys.Add(byId);

        foreach (var customerKey in keys)
        {
            var instanceId = RecoveryIds.InstanceId(redact.StoreId, customerKey);
            await customers.EraseAsync(redact.StoreId, customerKey, redact.CustomerId, cancellationToken);
            await outcomes.EraseAsync(redact.StoreId, instanceId, cancellationToken);
            await client.EraseInstanceAsync(instanceId, "erased on the customer's request", cancellationToken);
        }

        logger.LogInformation("Redaction for store {StoreId}: erased the recovery flows of {Count} customer key(s)", redact.StoreId, keys.Count);
    }

    private static async Task<bool> IsRunningAsync(DurableTaskClient client, string instanceId, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(instanceId, cancellationToken) is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended };

    /// <summary>Events for an instance that is not running are not sent (Durable would drop them, after a queue round trip).</summary>
    private static async Task<bool> RaiseIfRunningAsync(DurableTaskClient client, string instanceId, string eventName, object payload, CancellationToken cancellationToken)
    {
        if (!await IsRunningAsync(client, instanceId, cancellationToken)) return false;
        await client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken);
        return true;
    }
}
