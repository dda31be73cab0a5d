using System.Net;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Email;

/// <summary>
/// Operator endpoints (the admin key, see <c>AdminKeyMiddleware</c>) that show a merchant what their customers get:
/// every template of a store, rendered with realistic sample data, its branding and its overrides — loaded afresh, so
/// an uploaded override shows at once, or its refusal with the line that is wrong.
/// </summary>
public sealed class EmailPreviewEndpoints(StoreRegistry stores, EmailTemplateCatalog catalog, EmailRenderer renderer, EmailTemplateOverrides overrides, ILogger<EmailPreviewEndpoints> logger)
{
    [Function("ListEmailTemplates")]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/stores/{storeId}/emails")] HttpRequest request, string storeId)
    {
        if (stores.Find(storeId) is not { } store) return Results.NotFound(new { error = $"No store '{storeId}'." });
        var cancellationToken = request.HttpContext.RequestAborted;
        var layout = await overrides.GetAsync(store.Id, EmailTemplateCatalog.Layout, EmailTemplateCatalog.LayoutSections, fresh: true, cancellationToken);
        var templates = new List<object>();
        foreach (var definition in catalog.All)
        {
            var found = await overrides.GetAsync(store.Id, definition.Name, EmailTemplateCatalog.TemplateSections, fresh: true, cancellationToken);
            var settings = found.Template is null && renderer.UsesSettings(store.Id, definition);
            templates.Add(new
            {
                name = definition.Name,
                description = definition.Description,
                audience = definition.Audience.ToString().ToLowerInvariant(),
                source = found.Template is not null ? "blob" : settings ? "settings" : "built-in",
                overrideBlob = $"{EmailTemplateOverrides.Container}/{EmailTemplateOverrides.BlobName(store.Id, definition.Name)}",
                overrideRefused = found.Problem,
                preview = $"/api/admin/stores/{store.Id}/emails/{definition.Name}/preview?format=html",
            });
        }

        logger.LogInformation("Store {StoreId}: listed {Count} email templates", store.Id, templates.Count);
        return Results.Ok(new
        {
            store = store.Id,
            platform = store.Platform.ToString(),
            layout = new
            {
                source = layout.Template is not null ? "blob" : "built-in",
                overrideBlob = $"{EmailTemplateOverrides.Container}/{EmailTemplateOverrides.BlobName(store.Id, EmailTemplateCatalog.Layout)}",
                overrideRefused = layout.Problem,
            },
            templates,
        });
    }

    /// <summary><c>?format=html</c> (default) the HTML as a mail client gets it; <c>text</c> the subject and the text part; <c>json</c> all parts and where they came from.</summary>
    [Function("PreviewEmail")]
    public async Task<IResult> Preview([HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/stores/{storeId}/emails/{template}/preview")] HttpRequest request, string storeId, string template)
    {
        if (stores.Find(storeId) is not { } store) return Results.NotFound(new { error = $"No store '{storeId}'." });
        if (catalog.Find(template) is not { } definition)
            return Results.NotFound(new { error = $"No email template '{template}'.", templates = catalog.All.Select(d => d.Name) });
        var format = request.Query["format"].FirstOrDefault() ?? "html";
        if (format is not ("html" or "text" or "json")) return Results.BadRequest(new { error = "format must be html, text or json." });

        var email = await renderer.RenderAsync(store.Id, definition.Name, definition.Sample(store), fresh: true, request.HttpContext.RequestAborted);
        logger.LogInformation("Store {StoreId}: previewed email template {Template} ({Origin})", store.Id, definition.Name, email.Origin);
        request.HttpContext.Response.Headers["X-Email-Template-Source"] = Source(email.Origin);
        if (email.Problem is not null) request.HttpContext.Response.Headers["X-Email-Template-Override-Refused"] = "true";
        return format switch
        {
            "text" => Results.Text($"Subject: {email.Subject}\n\n{email.Text}", "text/plain; charset=utf-8"),
            "json" => Results.Ok(new { template = definition.Name, source = Source(email.Origin), overrideRefused = email.Problem, email.Subject, email.Preheader, email.Html, email.Text }),
            _ => Results.Content(email.Html, "text/html; charset=utf-8", statusCode: (int)HttpStatusCode.OK),
        };
    }

    private static string Source(EmailTemplateOrigin origin) => origin switch
    {
        EmailTemplateOrigin.Blob => "blob",
        EmailTemplateOrigin.Settings => "settings",
        _ => "built-in",
    };
}
