using System.Text.Json;

namespace Automation.Runtime;

public static class HttpBodies
{
    /// <summary>The request's JSON body as <typeparamref name="T"/>, or null when it is missing or not JSON of that shape.</summary>
    public static async Task<T?> ReadJsonOrNullAsync<T>(this HttpRequest request) where T : class
    {
        try
        {
            return await request.ReadFromJsonAsync<T>(Json.Options, request.HttpContext.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException or NotSupportedException)
        {
            return null;
        }
    }

    public static int? QueryInt(this HttpRequest request, string name) =>
        int.TryParse(request.Query[name].FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    public static string? QueryString(this HttpRequest request, string name) => request.Query[name].FirstOrDefault();
}
