using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Automation.Runtime;

/// <summary>The app's one JSON setting: queue messages, table rows, Durable inputs, outputs and custom status.</summary>
public static class Json
{
    // WARNING: messages in flight, rows in storage and the inputs and history of running orchestrations are written
    // with these settings (they are also the worker's ObjectSerializer, so Durable uses them). Changing naming or
    // enum handling breaks reading what is already stored; add properties instead.
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
