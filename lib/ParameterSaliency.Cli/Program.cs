using System.CommandLine;
using ParameterSaliency.Cli;

ParameterSaliency.Runtime.Notices.Writer = Console.Error;
ParameterSaliency.Data.WorkbookPaths.RegisterData();
var root = new RootCommand("Parameter-space saliency maps (Levin et al., 2022) on TorchSharp: train, evaluate and explain image classifiers.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(StatsCommand.Create());
root.Subcommands.Add(TopCommand.Create());
root.Subcommands.Add(HeatmapCommand.Create());
root.Subcommands.Add(PlantedCueCommand.Create());
root.Subcommands.Add(NeighborsCommand.Create());
root.Subcommands.Add(FineTuneCommand.Create());
root.Subcommands.Add(CpuCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
return CommandRunner.Run(root, args);
