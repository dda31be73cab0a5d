using Automation.Events;
using Automation.Flows;
using Automation.Stores;
using Azure;
using Azure.Data.Tables;

namespace Automation.AbandonedCart;

/// <summary>
/// What the abandoned-cart queue's events do: a checkout starts (or updates, or replaces) a recovery flow if the
/// start conditions allow; an order, a closed checkout or an unsubscribe ends it; an order within the attribution
/// window of a recovery message records the revenue; a redaction request erases the customer.
/// </summary>
public sealed class CheckoutRecovery(
    FlowEngine engine,
    AbandonedCheckoutFlow flow,
    StoreRegistry stores,
    AbandonedCartSettings settings,
    TimeProvider time,
    ILogger<CheckoutRecovery> logger)
{
    // ── Trigger: a checkout with an email and at least one item ──

    public async Task OnCheckoutAsync(CheckoutEvent checkout, bool isRetry, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(checkout.Email) || checkout.LineItems.Count == 0)
        {
            logger.LogDebug("Checkout event {EventId} of store {StoreId} has no email or no items: not a recovery candidate", checkout.Id, checkout.StoreId);
            return;
        }

        var store = stores.Find(checkout.StoreId);
        if (store is null)
        {
            logger.LogWarning("Checkout event {EventId} names unknown store {StoreId}; ignored", checkout.Id, checkout.StoreId);
            return;
        }

        var options = settings.For(store.Id);
        if (!options.Enabled) return;

        var table = await engine.TableAsync();
        var flowId = RecoveryCustomers.FlowId(store.Id, checkout.CheckoutId);
        var customerKey = RecoveryCustomers.Key(checkout.Email);
        var state = new RecoveryState
        {
            CheckoutId = checkout.CheckoutId,
            CustomerKey = customerKey,
            CustomerId = checkout.CustomerId,
            Email = checkout.Email.Trim(),
            FirstName = checkout.FirstName,
            RecoveryUrl = checkout.RecoveryUrl,
            Currency = checkout.Currency,
            TotalPrice = checkout.TotalPrice,
            LineItems = checkout.LineItems,
            CheckoutUpdatedAt = checkout.OccurredAt,
            StartedByEventId = checkout.Id,
            Settings = RecoverySettings.From(options),
        };

        // The common case first, in one transaction: a new checkout from a customer we have never written to.
        var skip = StartSkipReason(store, options, checkout, customer: null);
        if (skip is null)
        {
            var started = await TryStartAsync(table, store.Id, flowId, state, checkout, existingCustomer: null, cancellationToken);
            if (started == StartAttempt.Done) return;
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var existing = await engine.GetAsync(store.Id, flowId, cancellationToken);
            if (existing is not null && existing.StatusValue != FlowStatus.Skipped)
            {
                await OnKnownCheckoutAsync(existing, checkout, isRetry, cancellationToken);
                return;
            }

            var customer = await RecoveryCustomers.GetAsync(table, store.Id, RecoveryCustomers.CustomerRow(customerKey), cancellationToken);
            skip = StartSkipReason(store, options, checkout, customer);
            // One active flow per customer: a newer checkout replaces the older flow; an ended one leaves a cooldown.
            var replaced = skip is null && customer?.GetString("ActiveFlowId") is { } activeFlowId && activeFlowId != flowId
                && await engine.ExitAsync(store.Id, activeFlowId, AbandonedCheckoutFlow.Replaced, "a newer checkout from the same customer started its own flow", cancellationToken);
            if (skip is null && !replaced && customer?.GetDateTimeOffset("LastStartedAt") is { } last && time.GetUtcNow() - last < options.Cooldown)
            {
                skip = $"cooldown: the customer's last recovery flow started {last:u}, within {options.Cooldown}";
            }

            if (skip is not null)
            {
                logger.LogInformation("Recovery flow {FlowId} for store {StoreId} skipped: {Reason}", flowId, store.Id, skip);
                await engine.RecordSkippedAsync(flow.Definition, store.Id, flowId, state, customerKey, skip, cancellationToken, existing?.ETag);
                return;
            }

            var outcome = await TryStartAsync(table, store.Id, flowId, state, checkout, customer, cancellationToken, existing?.ETag);
            if (outcome == StartAttempt.Done) return;
        }

        throw new InvalidOperationException($"Recovery flow {flowId} kept conflicting while starting; the event will be retried.");
    }

    /// <summary>Start conditions. Null: start. (Cooldown and replacement are decided with the customer's row.)</summary>
    private static string? StartSkipReason(Store store, AbandonedCartOptions options, CheckoutEvent checkout, TableEntity? customer)
    {
        if (!store.AutomationsEnabled) return "store automations are disabled";
        if (options.RequireMarketingConsent && !checkout.AcceptsMarketing) return "no marketing consent (required by the store's settings)";
        if (customer?.GetBoolean("Unsubscribed") == true) return "the customer unsubscribed from recovery emails";
        if (customer?.GetDateTimeOffset("LastOrderAt") is { } ordered && ordered >= checkout.OccurredAt)
            return $"the customer placed an order ({ordered:u}) after this checkout";
        return null;
    }

    private enum StartAttempt { Done, CustomerExists, Conflict }

    private async Task<StartAttempt> TryStartAsync(TableClient table, string storeId, string flowId, RecoveryState state, CheckoutEvent checkout, TableEntity? existingCustomer,
        CancellationToken cancellationToken, ETag? replacing = null)
    {
        var companions = RecoveryCustomers.ForStart(storeId, state.CustomerKey, checkout.CustomerId, flowId, time.GetUtcNow(), existingCustomer);
        try
        {
            var outcome = await engine.StartAsync(flow.Definition, storeId, flowId, state, state.CustomerKey,
                $"{checkout.GetType().Name} {checkout.Id}: {checkout.LineItems.Count} items, {checkout.TotalPrice} {checkout.Currency}", companions, cancellationToken, replacing);
            return outcome == FlowStartOutcome.Started ? StartAttempt.Done : StartAttempt.Conflict;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && ex.FailedTransactionActionIndex == 1)
        {
            return StartAttempt.CustomerExists;
        }
    }

    /// <summary>A checkout that already has its flow: a repeat, an update, or an out-of-order older state.</summary>
    private async Task OnKnownCheckoutAsync(FlowInstance existing, CheckoutEvent checkout, bool isRetry, CancellationToken cancellationToken)
    {
        var current = FlowStateJson.Deserialize<RecoveryState>(existing.State);
        if (current.StartedByEventId == checkout.Id)
        {
            // The event that started it, again: a retry may find the first wake-up never armed.
            if (isRetry) await engine.RearmIfUnstartedAsync(existing, cancellationToken);
            return;
        }

        if (!existing.IsActive || checkout.OccurredAt <= current.CheckoutUpdatedAt) return;
        await engine.UpdateStateAsync<RecoveryState>(existing.StoreId, existing.FlowId, s => checkout.OccurredAt <= s.CheckoutUpdatedAt ? null : s with
        {
            LineItems = checkout.LineItems,
            TotalPrice = checkout.TotalPrice,
            RecoveryUrl = checkout.RecoveryUrl ?? s.RecoveryUrl,
            FirstName = checkout.FirstName ?? s.FirstName,
            CheckoutUpdatedAt = checkout.OccurredAt,
        }, $"checkout updated: {checkout.LineItems.Count} items, {checkout.TotalPrice} {checkout.Currency}", cancellationToken);
    }

    // ── Exits ──

    public async Task OnCheckoutClosedAsync(CheckoutClosed closed, CancellationToken cancellationToken) =>
        await engine.ExitAsync(closed.StoreId, RecoveryCustomers.FlowId(closed.StoreId, closed.CheckoutId), AbandonedCheckoutFlow.CheckoutClosed, $"checkout {closed.Reason}", cancellationToken);

    /// <summary>An order ends the customer's flow (matched on checkout, customer id or email) and may be attributed to it.</summary>
    public async Task OnOrderPlacedAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        var table = await engine.TableAsync();
        var candidates = new List<string>();
        if (order.CheckoutId is { Length: > 0 } checkoutId) candidates.Add(RecoveryCustomers.FlowId(order.StoreId, checkoutId));
        if (order.Email is { Length: > 0 } email)
        {
            var customerKey = RecoveryCustomers.Key(email);
            if (await RecoveryCustomers.GetAsync(table, order.StoreId, RecoveryCustomers.CustomerRow(customerKey), cancellationToken) is { } customer)
            {
                if (customer.GetString("ActiveFlowId") is { } active) candidates.Add(active);
                if (customer.GetString("LastFlowId") is { } last) candidates.Add(last);
            }

            // Events are not ordered: a checkout event processed after this order must not start a flow.
            await RecoveryCustomers.RecordOrderAsync(table, order.StoreId, customerKey, order.OccurredAt, cancellationToken);
        }

        if (order.CustomerId is { } customerId
            && await RecoveryCustomers.GetAsync(table, order.StoreId, RecoveryCustomers.CustomerIdRow(customerId), cancellationToken) is { } byId
            && byId.GetString("LastFlowId") is { } lastById)
        {
            candidates.Add(lastById);
        }

        foreach (var flowId in candidates.Distinct())
        {
            await AttributeAsync(order, flowId, cancellationToken);
            await engine.ExitAsync(order.StoreId, flowId, AbandonedCheckoutFlow.OrderPlaced, $"order {order.OrderNumber ?? order.OrderId.ToString(System.Globalization.CultureInfo.InvariantCulture)}", cancellationToken);
        }
    }

    private async Task AttributeAsync(OrderPlaced order, string flowId, CancellationToken cancellationToken)
    {
        await engine.UpdateStateAsync<RecoveryState>(order.StoreId, flowId, s =>
        {
            if (s.RecoveredOrderId is not null || s.LastMessageAt is not { } lastMessage || s.ReminderSentAt is not { } firstMessage) return null;
            if (order.OccurredAt < firstMessage || order.OccurredAt - lastMessage > s.Settings.AttributionWindow) return null;
            var usedCoupon = s.CouponCode is not null && order.DiscountCodes.Any(c => string.Equals(c, s.CouponCode, StringComparison.OrdinalIgnoreCase));
            var winner = usedCoupon || (s.CouponEmailSentAt is { } couponAt && order.OccurredAt >= couponAt)
                ? AbandonedCheckoutFlow.SendCouponEmailStep
                : AbandonedCheckoutFlow.SendReminderStep;
            return s with { RecoveredOrderId = order.OrderId, RecoveredRevenue = order.TotalPrice, RecoveredBy = winner };
        }, $"recovered: order {order.OrderId} ({order.TotalPrice} {order.Currency}) after a recovery message", cancellationToken);
    }

    /// <summary>The customer clicked the unsubscribe link: no more recovery emails, and the active flow ends now.</summary>
    public async Task UnsubscribeAsync(string storeId, string customerKey, CancellationToken cancellationToken)
    {
        var table = await engine.TableAsync();
        await RecoveryCustomers.MarkUnsubscribedAsync(table, storeId, customerKey, time.GetUtcNow(), cancellationToken);
        var customer = await RecoveryCustomers.GetAsync(table, storeId, RecoveryCustomers.CustomerRow(customerKey), cancellationToken);
        if (customer?.GetString("ActiveFlowId") is { } active)
            await engine.ExitAsync(storeId, active, AbandonedCheckoutFlow.Unsubscribed, "the customer unsubscribed", cancellationToken);
    }

    // ── Compliance: erase what this automation holds about the customer ──

    public async Task OnCustomerRedactAsync(CustomerRedactRequested redact, CancellationToken cancellationToken)
    {
        var table = await engine.TableAsync();
        var keys = new HashSet<string>();
        if (redact.Email is { Length: > 0 } email) keys.Add(RecoveryCustomers.Key(email));
        if (redact.CustomerId is { } id
            && await RecoveryCustomers.GetAsync(table, redact.StoreId, RecoveryCustomers.CustomerIdRow(id), cancellationToken) is { } byId)
        {
            if (byId.GetString("CustomerKey") is { } key) keys.Add(key);
            await table.DeleteEntityAsync(redact.StoreId, byId.RowKey, ETag.All, cancellationToken);
        }

        var erased = 0;
        foreach (var key in keys)
        {
            // Deleting the rows also ends the flows: a wake-up for a missing flow does nothing.
            await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {redact.StoreId} and Subject eq {key}"), select: ["RowKey"], cancellationToken: cancellationToken))
            {
                await table.DeleteEntityAsync(redact.StoreId, row.RowKey, ETag.All, cancellationToken);
                erased++;
            }

            var customer = await RecoveryCustomers.GetAsync(table, redact.StoreId, RecoveryCustomers.CustomerRow(key), cancellationToken);
            if (customer is null) continue;
            if (customer.GetBoolean("Unsubscribed") == true)
            {
                // Keep only the suppression (a hash and a flag), so an erased customer is not emailed again.
                await table.UpsertEntityAsync(new TableEntity(redact.StoreId, customer.RowKey) { ["Unsubscribed"] = true }, TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await table.DeleteEntityAsync(redact.StoreId, customer.RowKey, ETag.All, cancellationToken);
            }
        }

        logger.LogInformation("Redaction for store {StoreId}: erased {Count} recovery flows", redact.StoreId, erased);
    }
}
