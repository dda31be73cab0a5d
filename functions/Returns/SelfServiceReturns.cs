using System.Net.Mail;
using Automation.Platforms;
using Automation.PublicEndpoints;
using Automation.Runtime;
using Automation.Storage;
using Automation.Stores;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.Returns;

public sealed record SelfServiceItem(long? LineItemId, int? Quantity, string? Reason, string? Note);

/// <summary>The body of <c>POST /api/stores/{storeId}/returns</c>.</summary>
public sealed record SelfServiceReturnRequest(string? OrderNumber, string? Email, string? Wish, List<SelfServiceItem>? Items);

public sealed record ReturnReceived(string Rma, string Outcome, string Rule, string Reason, decimal Fee, string Currency, bool FreeShippingOnReplacement, bool Duplicate);

/// <summary>
/// Trigger: a customer asks for a return on the store's own returns page. The order is looked up at the platform and
/// the email must be the order's; anything wrong is a 4xx and nothing is stored. The decision is answered at once;
/// its effects (label, platform, emails) follow in its <c>CarryOutReturnV1</c> orchestration.
/// </summary>
/// <remarks>
/// Abuse: a valid request is counted per client address and per order, on every instance alike (<see cref="PublicLimiter"/>),
/// before anything else is done. The order's lookup is kept on its counter row for the window (found or not, and a hash
/// of its email), so guessing emails for one order costs one platform call per window; "no such order" and "not your
/// order" take the same path and give the same answer. Items other returns of the order claim cannot be claimed again.
/// </remarks>
public sealed class SelfServiceReturns(
    StoreRegistry stores,
    ReturnPolicies policies,
    ReturnsPlatforms platforms,
    ReturnHandler handler,
    PublicLimiter limiter,
    ClientAddress clients,
    IOptions<PublicEndpointsOptions> limits,
    TimeProvider time,
    ILoggerFactory loggers)
{
    [Function("RequestReturn")]
    public async Task<IResult> Receive(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stores/{storeId}/returns")] HttpRequest request,
        string storeId,
        [DurableClient] DurableTaskClient durable)
    {
        if (await request.ReadJsonOrNullAsync<SelfServiceReturnRequest>() is not { } body)
            return Problem(StatusCodes.Status400BadRequest, "Invalid return request", "The body must be a JSON return request.");
        var context = new Intake(stores, policies, platforms, handler, limiter, limits.Value, durable, time, loggers);
        return await ReceiveAsync(storeId, body, clients.CounterKeyOf(request.HttpContext), context, request.HttpContext, request.HttpContext.RequestAborted);
    }

    /// <summary>What an intake needs besides the request.</summary>
    internal sealed record Intake(
        StoreRegistry Stores,
        ReturnPolicies Policies,
        ReturnsPlatforms Platforms,
        ReturnHandler Handler,
        PublicLimiter Limiter,
        PublicEndpointsOptions Limits,
        DurableTaskClient Durable,
        TimeProvider Time,
        ILoggerFactory Loggers);

    // One answer for "no such order" and "not your order", so the endpoint cannot be used to find orders.
    private const string NoSuchOrder = "No order matches that order number and email address.";

    private static async Task<IResult> ReceiveAsync(string storeId, SelfServiceReturnRequest body, string client, Intake intake, HttpContext http, CancellationToken cancellationToken)
    {
        var (stores, policies, platforms, handler, limiter, limits, durable, time, loggers) = intake;
        var logger = loggers.CreateLogger<SelfServiceReturns>();
        if (stores.Find(storeId) is not { AutomationsEnabled: true } store || policies.For(storeId) is null)
            return Problem(StatusCodes.Status404NotFound, "Returns are not offered here", $"Store '{storeId}' does not take returns through this service.");

        if (Validate(body) is { } invalid) return Problem(StatusCodes.Status400BadRequest, "Invalid return request", invalid);
        var wish = Enum.Parse<ReturnWish>(body.Wish!.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), ignoreCase: true);

        // Counted once the body is valid (a malformed flood costs no storage), before the platform is asked anything.
        var orderNumber = OrderNumbers.Normalize(body.OrderNumber!);
        var perOrder = new Limit("returns-order", StorageKeys.Hash(orderNumber), limits.ReturnsPerOrderPerHour);
        var admission = await limiter.AcquireAsync(store.Id, [new Limit("returns-client", client, limits.ReturnsPerClientPerHour), perOrder], cancellationToken);
        if (!admission.Allowed)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(admission.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status429TooManyRequests, "Too many return requests", "Please try again later.");
        }

        // The order's lookup this window, if any: found or not, and its email's hash. A guess that cannot match is
        // answered from it; the order's own customer gets a fresh lookup (the decision needs the order as it is now).
        var emailHash = EmailHash(store.Id, orderNumber, body.Email!);
        var known = admission.RowOf(perOrder);
        if (known?.GetBoolean("Found") is { } found && (!found || known.GetString("EmailHash") != emailHash))
            return Problem(StatusCodes.Status404NotFound, "Order not found", NoSuchOrder);

        ReturnOrder? order;
        try
        {
            order = await platforms.For(store).FindOrderAsync(store, body.OrderNumber!, cancellationToken);
        }
        catch (PlatformException ex)
        {
            logger.LogWarning("Order lookup for a return failed at store {StoreId}: {Error}", storeId, LogText.Describe(ex));
            return Problem(ex.IsTransient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status502BadGateway, "The store could not be reached", "Please try again in a few minutes.");
        }

        if (known?.GetBoolean("Found") is null)
        {
            var orderEmail = order is null || string.IsNullOrWhiteSpace(order.Email) ? null : EmailHash(store.Id, orderNumber, order.Email);
            await limiter.NoteAsync(admission, perOrder, new Dictionary<string, object?> { ["Found"] = order is not null, ["EmailHash"] = orderEmail ?? "" }, cancellationToken);
        }

        if (order is null || !SameEmail(order.Email, body.Email!))
            return Problem(StatusCodes.Status404NotFound, "Order not found", NoSuchOrder);

        var items = body.Items!.Select(i => new ReturnItem(i.LineItemId!.Value, i.Quantity!.Value, i.Reason?.Trim(), i.Note?.Trim())).ToList();
        foreach (var item in items)
        {
            var line = order.Line(item.LineItemId);
            if (line is null)
                return Problem(StatusCodes.Status422UnprocessableEntity, "Item not in this order", $"Line item {item.LineItemId} is not part of order {order.Name}.");
            if (item.Quantity > line.Quantity)
                return Problem(StatusCodes.Status422UnprocessableEntity, "Too many items", $"Order {order.Name} has {line.Quantity} of \"{line.Title}\"; {item.Quantity} cannot be returned.");
        }

        var request = new ReturnRequest(store.Id, wish, items, time.GetUtcNow());
        ReturnCase returnCase;
        bool created;
        try
        {
            (returnCase, created) = await handler.DecideAsync(store, order, request, body.Email!.Trim(), cancellationToken);
        }
        catch (ItemsAlreadyClaimedException claimed)
        {
            var which = string.Join(" ", claimed.Conflicts.Select(c => $"\"{c.Title}\": {c.AlreadyClaimed} of {c.Ordered} are already in a return."));
            return Problem(StatusCodes.Status422UnprocessableEntity, "Already being returned", $"{which} Only the rest can be returned.");
        }

        // Also for a request seen before: if the first one died between recording and starting, this starts the flow.
        if (await StartReturnFlow.ForDecidedAsync(durable, store.Id, returnCase.Rma, cancellationToken))
            logger.LogInformation("Return {Rma} for store {StoreId}: {Outcome}; flow {InstanceId} started", returnCase.Rma, store.Id, returnCase.Decision.Outcome, StartReturnFlow.InstanceId(store.Id, returnCase.Rma));

        var d = returnCase.Decision;
        var answer = new ReturnReceived(returnCase.Rma, d.Outcome.ToString(), d.Rule, d.Reason, d.Fee, returnCase.Order.Currency, d.FreeShippingOnReplacement, Duplicate: !created);
        return created
            ? Results.Json(answer, statusCode: StatusCodes.Status202Accepted)
            : Results.Ok(answer);
    }

    private static string? Validate(SelfServiceReturnRequest? body)
    {
        if (body is null) return "Send a JSON body with orderNumber, email, wish and items.";
        if (string.IsNullOrWhiteSpace(body.OrderNumber) || body.OrderNumber.Length > 64) return "orderNumber is required.";
        if (string.IsNullOrWhiteSpace(body.Email) || !MailAddress.TryCreate(body.Email.Trim(), out _)) return "email must be the email address the order was placed with.";
        if (string.IsNullOrWhiteSpace(body.Wish)
            || !Enum.TryParse<ReturnWish>(body.Wish.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out _)
            || int.TryParse(body.Wish, out _))
            return "wish must be one of refund, store_credit or exchange.";
        if (body.Items is not { Count: > 0 and <= 100 }) return "items must list between 1 and 100 items to return.";
        // Found by the fuzz run (issue 10): "items": [null] was a 500.
        if (body.Items.Any(i => i is null)) return "every item must be an object with its lineItemId and quantity.";
        if (body.Items.Any(i => i.LineItemId is null or <= 0)) return "every item needs its lineItemId.";
        if (body.Items.Any(i => i.Quantity is null or < 1)) return "every item needs a quantity of at least 1.";
        if (body.Items.GroupBy(i => i.LineItemId).Any(g => g.Count() > 1)) return "list each lineItemId once, with its total quantity.";
        if (body.Items.Any(i => i.Reason?.Length > 100 || i.Note?.Length > 500)) return "reasons are at most 100 and notes at most 500 characters.";
        return null;
    }

    /// <summary>The email as kept with an order's lookup: hashed with the store and the order, so it matches nothing else.</summary>
    private static string EmailHash(string storeId, string orderNumber, string email) =>
        StorageKeys.Hash($"{storeId}\n{orderNumber}\n{email.Trim().ToLowerInvariant()}");

    private static bool SameEmail(string? orderEmail, string given) =>
        !string.IsNullOrWhiteSpace(orderEmail) && string.Equals(orderEmail.Trim(), given.Trim(), StringComparison.OrdinalIgnoreCase);

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);
}
