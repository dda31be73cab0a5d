using Automation.Returns;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;

namespace Automation.Tests.Returns;

/// <summary>How the intakes start a return's flow, against a Moq'd <see cref="DurableTaskClient"/>: once per return, whatever the retries.</summary>
public sealed class StartReturnFlowTests
{
    private const string InstanceId = "return-shop-RMA-7K2M9Q4T";
    private Mock<DurableTaskClient> _client = null!;
    private OrchestrationMetadata? _existing;

    [SetUp]
    public void SetUp()
    {
        _existing = null;
        _client = new Mock<DurableTaskClient>("test") { CallBase = true };
        _client.Setup(c => c.GetInstancesAsync(InstanceId, It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync(() => _existing);
        _client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(InstanceId);
        _client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
    }

    private void Exists(OrchestrationRuntimeStatus status) => _existing = new OrchestrationMetadata(StartReturnFlow.Orchestrator, InstanceId) { RuntimeStatus = status };

    private void VerifyStarted(Times times) =>
        _client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.Is<TaskName>(n => n.Name == "CarryOutReturnV1"),
            It.Is<object?>(i => Equals(i, new CarryOutReturn("shop", "RMA-7K2M9Q4T"))),
            It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == InstanceId),
            It.IsAny<CancellationToken>()), times);

    [Test]
    public void InstanceId_DerivedFromStoreAndRma() =>
        Assert.That(StartReturnFlow.InstanceId("shop", "RMA-7K2M9Q4T"), Is.EqualTo(InstanceId));

    [Test]
    public async Task NewlyDecided_StartsTheCurrentVersionUnderTheReturnsInstanceId()
    {
        Assert.That(await StartReturnFlow.ForDecidedAsync(_client.Object, "shop", "RMA-7K2M9Q4T", CancellationToken.None), Is.True);

        VerifyStarted(Times.Once());
    }

    [TestCase(OrchestrationRuntimeStatus.Running)]
    [TestCase(OrchestrationRuntimeStatus.Completed)]
    [TestCase(OrchestrationRuntimeStatus.Failed)]
    public async Task DecidedAgain_AnExistingFlowIsLeftAlone(OrchestrationRuntimeStatus status)
    {
        Exists(status);

        Assert.That(await StartReturnFlow.ForDecidedAsync(_client.Object, "shop", "RMA-7K2M9Q4T", CancellationToken.None), Is.False);

        VerifyStarted(Times.Never());
    }

    [Test]
    public async Task StartedByAnotherCopyMeanwhile_AlreadyExistsIsNotAnError()
    {
        _client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new OrchestrationAlreadyExistsException($"An Orchestration instance with the ID {InstanceId} already exists."));

        Assert.That(await StartReturnFlow.ForDecidedAsync(_client.Object, "shop", "RMA-7K2M9Q4T", CancellationToken.None), Is.False);
    }

    [TestCase(OrchestrationRuntimeStatus.Running)]
    [TestCase(OrchestrationRuntimeStatus.Pending)]
    public async Task Reviewed_TheWaitingFlowIsTold(OrchestrationRuntimeStatus status)
    {
        Exists(status);
        var reviewed = new ReturnReviewed(ReturnOutcome.Approved, "manual:approve");

        await StartReturnFlow.AfterReviewAsync(_client.Object, "shop", "RMA-7K2M9Q4T", reviewed, CancellationToken.None);

        _client.Verify(c => c.RaiseEventAsync(InstanceId, "ReturnReviewed", reviewed, It.IsAny<CancellationToken>()), Times.Once());
        VerifyStarted(Times.Never());
    }

    [TestCase(null)]
    [TestCase(OrchestrationRuntimeStatus.Completed)]
    public async Task Reviewed_NoFlowWaiting_ANewOneCarriesTheDecisionOut(OrchestrationRuntimeStatus? status)
    {
        if (status is { } s) Exists(s);

        await StartReturnFlow.AfterReviewAsync(_client.Object, "shop", "RMA-7K2M9Q4T", new ReturnReviewed(ReturnOutcome.KeepIt, "manual:keep-it"), CancellationToken.None);

        VerifyStarted(Times.Once());
        _client.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Never());
    }

    [Test]
    public async Task Reviewed_FlowStartedMeanwhile_ItIsToldInstead()
    {
        _client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new OrchestrationAlreadyExistsException("exists"));

        await StartReturnFlow.AfterReviewAsync(_client.Object, "shop", "RMA-7K2M9Q4T", new ReturnReviewed(ReturnOutcome.Declined, "manual:decline"), CancellationToken.None);

        _client.Verify(c => c.RaiseEventAsync(InstanceId, "ReturnReviewed", It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Once());
    }
}
