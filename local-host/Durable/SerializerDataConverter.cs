using Azure.Core.Serialization;
using Microsoft.DurableTask;

namespace Automation.LocalHost.Durable;

/// <summary>
/// Durable payloads (inputs, outputs, events, custom status) through the worker's <see cref="ObjectSerializer"/>, as
/// the isolated Durable extension does, so what the app stores reads the same on Azure and here.
/// </summary>
internal sealed class SerializerDataConverter(ObjectSerializer serializer) : DataConverter
{
    public override string? Serialize(object? value) =>
        value is null ? null : serializer.Serialize(value, value.GetType(), default).ToString();

    public override object? Deserialize(string? data, Type targetType)
    {
        if (data is null) return null;
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(data), writable: false);
        return serializer.Deserialize(stream, targetType, default);
    }
}
