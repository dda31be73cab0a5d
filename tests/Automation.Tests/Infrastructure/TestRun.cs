using Automation.Tests.Infrastructure;

namespace Automation.Tests;

/// <summary>Starts Azurite and the SMTP sink once for the run, and stops them (only them) at the end.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeSetUp]
    public async Task StartServices()
    {
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
    }

    [OneTimeTearDown]
    public void StopServices()
    {
        Azurite.Stop();
        MailSink.Stop();
    }
}
