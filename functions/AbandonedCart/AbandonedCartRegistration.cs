using Automation.Admin;
using Automation.Flows;
using Automation.Hosting;
using Automation.Storage;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.AbandonedCart;

public static class AbandonedCartRegistration
{
    public static IServiceCollection AddAbandonedCart(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddFlows(configuration);
        services.AddOptions<AbandonedCartOptions>().Bind(configuration.GetSection(AbandonedCartOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AbandonedCartOptions>>(new AbandonedCartSettings.Validator(configuration));
        services.AddSingleton<AbandonedCartSettings>();
        services.AddSingleton<UnsubscribeTokens>();
        services.AddSingleton<ICheckoutStock, CheckoutStock>();
        services.AddSingleton<ICheckoutCoupons, CheckoutCoupons>();
        services.AddSingleton<RecoveryEmails>();
        services.AddSingleton<AbandonedCheckoutFlow>();
        services.AddSingleton<IFlowDefinition>(sp => sp.GetRequiredService<AbandonedCheckoutFlow>().Definition);
        services.AddSingleton<CheckoutRecovery>();
        services.AddSingleton<RecoveryStats>();

        services.AddQueueFunction<RecoverAbandonedCheckouts>(configuration, QueueNames.AbandonedCartEvents);
        return services;
    }

    public static IEndpointRouteBuilder MapAbandonedCart(this IEndpointRouteBuilder app)
    {
        // The link in every recovery email (GET), and RFC 8058 one-click from the List-Unsubscribe-Post header (POST).
        app.MapGet("/api/unsubscribe", UnsubscribeAsync);
        app.MapPost("/api/unsubscribe", UnsubscribeAsync);

        app.MapGet("/api/stores/{storeId}/stats", async (string storeId, StoreRegistry stores, RecoveryStats stats, CancellationToken cancellationToken) =>
            stores.Find(storeId) is null ? Results.NotFound() : Results.Ok(await stats.ComputeAsync(storeId, cancellationToken)))
            .AddEndpointFilter(AdminEndpoints.RequireAdminKey);
        return app;
    }

    private static async Task<IResult> UnsubscribeAsync(string? token, UnsubscribeTokens tokens, StoreRegistry stores, CheckoutRecovery recovery, CancellationToken cancellationToken)
    {
        if (tokens.Verify(token) is not { } subject || stores.Find(subject.StoreId) is null)
            return Results.Content("<!doctype html><p>This unsubscribe link is not valid.</p>", "text/html", statusCode: StatusCodes.Status400BadRequest);

        await recovery.UnsubscribeAsync(subject.StoreId, subject.CustomerKey, cancellationToken);
        return Results.Content("<!doctype html><p>You are unsubscribed: we will not send you cart reminders again.</p>", "text/html");
    }
}
