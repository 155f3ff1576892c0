"""The traffic simulator: normal traffic for every catalog service, and scenarios of events.

```python
from rasd.sim import Simulation, load_scenario
sim = Simulation(load_scenario("meta-2021-10-04"), catalog, places)
for traffic in sim.minutes():
    ...  # traffic.reports (ReportColumns), traffic.posts, traffic.probes
```
"""

from rasd.sim.history import History
from rasd.sim.scenario import Scenario, list_scenarios, load_scenario
from rasd.sim.simulation import MinuteTraffic, Simulation
from rasd.sim.truth import GroundTruth, TruthEvent, TruthIncident

__all__ = [
    "GroundTruth",
    "History",
    "MinuteTraffic",
    "Scenario",
    "Simulation",
    "TruthEvent",
    "TruthIncident",
    "list_scenarios",
    "load_scenario",
]
