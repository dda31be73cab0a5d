using Microsoft.Extensions.Options;

namespace Automation.Hosting;

public sealed record QueueFunctionRegistration(string Name, string QueueName, Type FunctionType);

public sealed record TimerFunctionRegistration(string Name, TimerSchedule Schedule, Type FunctionType);

/// <summary>The host's identity: Functions' <c>AzureFunctionsWebHost__hostid</c>, which scopes listener locks and timer status.</summary>
public sealed record HostIdentity(string Id);

/// <summary>Registration in the style of minimal APIs: the queue or schedule stands next to the function it starts.</summary>
public static class FunctionRegistrationExtensions
{
    public static IServiceCollection AddQueueFunction<TFunction>(this IServiceCollection services, IConfiguration configuration, string queueName)
        where TFunction : class, IQueueFunction
    {
        var name = typeof(TFunction).Name;
        services.AddScoped<TFunction>();
        services.AddSingleton(new QueueFunctionRegistration(name, queueName, typeof(TFunction)));
        if (!configuration.IsFunctionDisabled(name))
        {
            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueueListener>(sp, new QueueFunctionRegistration(name, queueName, typeof(TFunction))));
        }

        return services;
    }

    /// <summary>Registers a timer; <paramref name="schedule"/> may be a <c>%AppSetting%</c> reference; <paramref name="timeZone"/> defaults to UTC.</summary>
    public static IServiceCollection AddTimerFunction<TFunction>(this IServiceCollection services, IConfiguration configuration, string schedule, string? timeZone = null)
        where TFunction : class, ITimerFunction
    {
        var name = typeof(TFunction).Name;
        var zone = timeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(configuration.ResolveSettingReference(timeZone));
        TimerSchedule parsed;
        try
        {
            parsed = TimerSchedule.Parse(configuration.ResolveSettingReference(schedule), zone);
        }
        catch (FormatException ex)
        {
            throw new OptionsValidationException(name, typeof(TFunction), [$"Timer {name}: {ex.Message}"]);
        }

        var registration = new TimerFunctionRegistration(name, parsed, typeof(TFunction));
        services.AddScoped<TFunction>();
        services.AddSingleton(registration);
        if (!configuration.IsFunctionDisabled(name))
        {
            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<TimerListener>(sp, registration));
        }

        return services;
    }
}
