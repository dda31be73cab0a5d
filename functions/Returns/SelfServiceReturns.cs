using System.Net.Mail;
using Automation.Platforms;
using Automation.Runtime;
using Automation.Stores;
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
public sealed class SelfServiceReturns(StoreRegistry stores, ReturnPolicies policies, ReturnsPlatforms platforms, ReturnHandler handler, TimeProvider time, ILoggerFactory loggers)
{
    [Function("RequestReturn")]
    public async Task<IResult> Receive(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stores/{storeId}/returns")] HttpRequest request,
        string storeId,
        [DurableClient] DurableTaskClient durable) =>
        await request.ReadJsonOrNullAsync<SelfServiceReturnRequest>() is { } body
            ? await ReceiveAsync(storeId, body, stores, policies, platforms, handler, durable, time, loggers, request.HttpContext.RequestAborted)
            : Problem(StatusCodes.Status400BadRequest, "Invalid return request", "The body must be a JSON return request.");

    // One answer for "no such order" and "not your order", so the endpoint cannot be used to find orders.
    private const string NoSuchOrder = "No order matches that order number and email address.";

    internal static async Task<IResult> ReceiveAsync(
        string storeId,
        SelfServiceReturnRequest body,
        StoreRegistry stores,
        ReturnPolicies policies,
        ReturnsPlatforms platforms,
        ReturnHandler handler,
        DurableTaskClient durable,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger<SelfServiceReturns>();
        if (stores.Find(storeId) is not { AutomationsEnabled: true } store || policies.For(storeId) is null)
            return Problem(StatusCodes.Status404NotFound, "Returns are not offered here", $"Store '{storeId}' does not take returns through this service.");

        if (Validate(body) is { } invalid) return Problem(StatusCodes.Status400BadRequest, "Invalid return request", invalid);
        var wish = Enum.Parse<ReturnWish>(body.Wish!.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), ignoreCase: true);

        ReturnOrder? order;
        try
        {
            order = await platforms.For(store).FindOrderAsync(store, body.OrderNumber!, cancellationToken);
        }
        catch (PlatformException ex)
        {
            logger.LogWarning(ex, "Order lookup for a return failed at store {StoreId}", storeId);
            return Problem(ex.IsTransient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status502BadGateway, "The store could not be reached", "Please try again in a few minutes.");
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
        var (returnCase, created) = await handler.DecideAsync(store, order, request, body.Email!.Trim(), cancellationToken);

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
        if (body.Items.Any(i => i.LineItemId is null or <= 0)) return "every item needs its lineItemId.";
        if (body.Items.Any(i => i.Quantity is null or < 1)) return "every item needs a quantity of at least 1.";
        if (body.Items.GroupBy(i => i.LineItemId).Any(g => g.Count() > 1)) return "list each lineItemId once, with its total quantity.";
        if (body.Items.Any(i => i.Reason?.Length > 100 || i.Note?.Length > 500)) return "reasons are at most 100 and notes at most 500 characters.";
        return null;
    }

    private static bool SameEmail(string? orderEmail, string given) =>
        !string.IsNullOrWhiteSpace(orderEmail) && string.Equals(orderEmail.Trim(), given.Trim(), StringComparison.OrdinalIgnoreCase);

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);
}
