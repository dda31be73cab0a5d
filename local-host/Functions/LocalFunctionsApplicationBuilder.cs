using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Diagnostics.Metrics;

namespace Automation.LocalHost.Functions;

/// <summary>
/// Stands where Azure's <c>FunctionsApplication.CreateBuilder</c> stands, so the app's own <c>AddAutomation()</c> registers
/// its services and its worker middleware here unchanged. The middleware runs around every invocation, as in the worker.
/// </summary>
public sealed class LocalFunctionsApplicationBuilder(WebApplicationBuilder web) : IHostApplicationBuilder, IFunctionsWorkerApplicationBuilder
{
    private readonly List<Func<FunctionExecutionDelegate, FunctionExecutionDelegate>> _middleware = [];

    public IConfigurationManager Configuration => web.Configuration;
    public IHostEnvironment Environment => web.Environment;
    public ILoggingBuilder Logging => web.Logging;
    public IMetricsBuilder Metrics => web.Metrics;
    public IDictionary<object, object> Properties => ((IHostApplicationBuilder)web).Properties;
    public IServiceCollection Services => web.Services;

    IConfigurationManager IHostApplicationBuilder.Configuration => web.Configuration;

    public void ConfigureContainer<TContainerBuilder>(IServiceProviderFactory<TContainerBuilder> factory, Action<TContainerBuilder>? configure = null) where TContainerBuilder : notnull =>
        ((IHostApplicationBuilder)web).ConfigureContainer(factory, configure);

    public IFunctionsWorkerApplicationBuilder Use(Func<FunctionExecutionDelegate, FunctionExecutionDelegate> middleware)
    {
        _middleware.Add(middleware);
        return this;
    }

    /// <summary>The app's middleware around <paramref name="function"/>, first registered outermost (as the worker builds it).</summary>
    internal FunctionExecutionDelegate BuildPipeline(FunctionExecutionDelegate function)
    {
        var pipeline = function;
        for (var i = _middleware.Count - 1; i >= 0; i--) pipeline = _middleware[i](pipeline);
        return pipeline;
    }
}
