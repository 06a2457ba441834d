using System.Diagnostics;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>
/// The statistics pass on a real Slurm scheduler, submitted as a user would: a one-node cluster on this machine
/// (environment/cluster/one-node-slurm.sh: munged, slurmctld, slurmd from Debian, 1 CPU, 127.0.0.1 only), a 4-task job
/// array over 800 test images (200 a task: a shard's size changes nothing the merge does) and the merge as a job that depends on it (environment/cluster/slurm-stats.sh), against
/// one pass in one process. The node has one CPU, so its tasks run one after another on one core and the test runs beside the others.
/// </summary>
[ExpectedSeconds(54)]
public class SlurmStatisticsTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void A_four_task_job_array_and_its_dependent_merge_equal_one_pass()
    {
        Skip.IfNot(File.Exists("/usr/sbin/slurmctld") && File.Exists("/usr/sbin/munged"), "Slurm is not installed (Debian: apt-get install slurm-wlm munge); .ci/run installs it.");
        string folder = Directory.CreateTempSubdirectory().FullName, cluster = Path.Combine(folder, "cluster");
        string script = Path.Combine(Workbook.Root, "environment", "cluster", "one-node-slurm.sh");
        var started = Workbook.RunProgram("bash", $"\"{script}\" start \"{cluster}\" 1", timeout: TimeSpan.FromMinutes(2));
        try
        {
            Assert.True(started.ExitCode == 0, started.Output + started.Error);
            var slurm = new Dictionary<string, string>
            {
                ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf"),
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") + ":/usr/sbin",
                ["SALIENCY_SLURM_CPUS"] = "1", ["SALIENCY_SLURM_MEM"] = "", ["SALIENCY_SLURM_TIME"] = "00:30:00",
            };
            string merged = Path.Combine(folder, "out", "stats.safetensors");
            var clock = Stopwatch.StartNew();
            var submitted = Workbook.RunProgram("bash", $"environment/cluster/slurm-stats.sh --model data/models/fashion-resnet18-w16.safetensors " +
                $"--dataset fashion-mnist:test --limit 800 --shards 4 --out \"{merged}\" -- --engine Loop", environment: slurm, timeout: TimeSpan.FromMinutes(5));
            Assert.True(submitted.ExitCode == 0, submitted.Output + submitted.Error);
            string arrayJob = Job(submitted.Output, "array"), mergeJob = Job(submitted.Output, "merge");
            // Done when the merge job has finished, whichever way.
            string state = "";
            while (clock.Elapsed < TimeSpan.FromMinutes(15))
            {
                state = State(mergeJob, slurm);
                if (state is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY") break;
                Thread.Sleep(2000);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            string logs = string.Join("\n", Directory.GetFiles(Path.Combine(folder, "out", "logs")).Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
            Assert.True(state == "COMPLETED", $"merge job {mergeJob} ended {state}:\n{logs}");
            var tasks = Enumerable.Range(1, 4).Select(i => State($"{arrayJob}_{i}", slurm)).ToArray();
            Assert.All(tasks, task => Assert.Equal("COMPLETED", task));

            // One pass in one process, one thread, as each task ran: the loop engine gives the same float32 profiles.
            string whole = Path.Combine(folder, "whole.safetensors");
            StatisticsPassTests.Succeed($"stats --limit 800 --engine Loop --out \"{whole}\"");
            var (m, w) = (StatisticsPassTests.Read(merged), StatisticsPassTests.Read(whole));
            Assert.Equal(800, m.Count);
            double worstMean = 0, worstStd = 0;
            for (int f = 0; f < w.Mean.Length; f++)
            {
                worstMean = Math.Max(worstMean, Math.Abs(m.Mean[f] - w.Mean[f]) / Math.Max(Math.Abs(w.Mean[f]), 1e-300));
                worstStd = Math.Max(worstStd, Math.Abs(m.Std[f] - w.Std[f]) / Math.Max(Math.Abs(w.Std[f]), 1e-300));
            }
            output.WriteLine($"4 array tasks and the merge: {seconds:F0} s from submission; merged against one pass: μ {worstMean:E1}, σ {worstStd:E1} (largest relative difference)");
            Assert.True(worstMean <= 1e-12, $"μ differs by {worstMean:E2}");
            Assert.True(worstStd <= 1e-10, $"σ differs by {worstStd:E2}");
        }
        finally
        {
            var stopped = Workbook.RunProgram("bash", $"\"{script}\" stop \"{cluster}\"", timeout: TimeSpan.FromMinutes(1));
            Assert.True(stopped.ExitCode == 0, stopped.Output + stopped.Error);
        }
        // Nothing it started is left running.
        var left = Workbook.RunProgram("pgrep", $"-f -a \"{cluster}\"");
        Assert.True(left.ExitCode != 0, $"still running:\n{left.Output}");
    }

    static string Job(string output, string kind) =>
        output.Split('\n').Select(line => line.Trim().Split(' ')).First(parts => parts.Length == 2 && parts[0] == kind)[1];

    static string State(string job, Dictionary<string, string> slurm)
    {
        var shown = Workbook.RunProgram("/usr/bin/scontrol", $"show job {job}", environment: slurm, timeout: TimeSpan.FromSeconds(30));
        var match = System.Text.RegularExpressions.Regex.Match(shown.Output, @"JobState=(\w+)");
        return match.Success ? match.Groups[1].Value : "UNKNOWN";
    }
}
