//! A Wix API simulator (OAuth token + billing-event) over real HTTP, recording what it accepted and injecting faults.
